Feature: Customer order
  An order is placed by a customer for one or more lines. While it is pending the customer may
  spend loyalty points on a discount. The customer then pays exactly the total, the payment is
  confirmed and the order completes, earning one loyalty point per whole 100 cents paid. Until it
  completes, an order can be cancelled.

  The standard pending order below is placed by CUST-001 for 2 x SKU-1 at 1000 and 1 x SKU-2 at
  3000 (subtotal 5000), linked to Alice's loyalty account and to CUST-001's cart.

  Rule: an order is placed once, by a customer, with valid lines

    Scenario: placing an order records the customer, the lines and the subtotal
      Given an order that is not placed
      When "CUST-001" places an order for "2 x SKU-1 at 1000, 1 x SKU-2 at 2500"
      Then the order records "order created" with:
        | customer id   | CUST-001                             |
        | items         | 2 x SKU-1 at 1000, 1 x SKU-2 at 2500 |
        | item count    | 2                                    |
        | subtotal      | 4500                                 |
        | customer root | customer alice@example.com           |
        | cart root     | cart CUST-001                        |
      And the order now shows:
        | customer id          | CUST-001 |
        | status               | pending  |
        | subtotal             | 4500     |
        | discount             | 0        |
        | loyalty points used  | 0        |

    Scenario: an order need not be linked to a loyalty account or a cart
      Given an order that is not placed
      When "CUST-001" places an order for "1 x SKU-1 at 1000" without a customer account or cart
      Then the order records "order created" with:
        | customer root | none |
        | cart root     | none |

    Scenario: lines of the same product are kept as placed
      Given an order that is not placed
      When "CUST-001" places an order for "1 x SKU-1 at 1000, 2 x SKU-1 at 1000"
      Then the order records "order created" with:
        | item count | 2    |
        | subtotal   | 3000 |

    Scenario Outline: placing an order is refused when <why>
      Given an order that is <stage>
      When "<customer>" places an order for "<lines>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                    | stage      | customer | lines                                 | verdict                      | message                        |
        | the order already exists               | pending    | CUST-001 | 1 x SKU-1 at 1000                     | refused by the current state | Order already exists           |
        | no customer is named                   | not placed |          | 1 x SKU-1 at 1000                     | rejected as invalid          | Customer ID is required        |
        | there are no lines                     | not placed | CUST-001 | nothing                               | rejected as invalid          | Order must have items          |
        | a line names no product                | not placed | CUST-001 | 1 x SKU-1 at 1000, 1 x (no product) at 500 | rejected as invalid     | Item product ID is required    |
        | a line has zero quantity               | not placed | CUST-001 | 0 x SKU-1 at 1000                     | rejected as invalid          | Item quantity must be positive |
        | a line has a negative quantity         | not placed | CUST-001 | 1 x SKU-1 at 1000, -1 x SKU-2 at 1000 | rejected as invalid          | Item quantity must be positive |
        | a line has a negative price            | not placed | CUST-001 | 1 x SKU-1 at -1                       | rejected as invalid          | Item price cannot be negative  |
        | it exists, whatever the input          | pending    |          | nothing                               | refused by the current state | Order already exists           |
        | no customer and no lines               | not placed |          | nothing                               | rejected as invalid          | Customer ID is required        |

    Scenario Outline: placing an order is refused when the <which> reference is malformed
      Given an order that is not placed
      When "CUST-001" places an order for "1 x SKU-1 at 1000" with a malformed <which> reference
      Then it is rejected as invalid because "<message>"

      Examples:
        | which    | message                              |
        | customer | Customer root must be a 16-byte UUID |
        | cart     | Cart root must be a 16-byte UUID     |

  Rule: one loyalty discount, only while the order is pending, never above the subtotal

    Scenario: a loyalty discount is recorded
      Given an order that is pending
      When a loyalty discount of 200 points worth 200 cents is applied
      Then the order records "loyalty discount applied" with:
        | points used | 200 |
        | discount    | 200 |
      And the order now shows:
        | loyalty points used | 200     |
        | discount            | 200     |
        | subtotal            | 5000    |
        | status              | pending |

    Scenario: the discount may equal the subtotal
      Given an order that is pending
      When a loyalty discount of 5000 points worth 5000 cents is applied
      Then the order records "loyalty discount applied" with:
        | discount | 5000 |

    Scenario Outline: a loyalty discount is refused when <why>
      Given an order that is <stage>
      When a loyalty discount of <points> points worth <cents> cents is applied
      Then it is <verdict> because "<message>"

      Examples:
        | why                                    | stage      | points | cents | verdict                      | message                          |
        | the order does not exist               | not placed | 200    | 200   | refused by the current state | Order does not exist             |
        | the order is cancelled                 | cancelled  | 200    | 200   | refused by the current state | Order is already cancelled       |
        | the order is completed                 | completed  | 200    | 200   | refused by the current state | Order is already completed       |
        | payment was already submitted          | paid       | 200    | 200   | refused by the current state | Payment already submitted        |
        | a discount was already applied         | discounted | 100    | 100   | refused by the current state | Loyalty discount already applied |
        | the points are zero                    | pending    | 0      | 200   | rejected as invalid          | Points must be positive          |
        | the points are negative                | pending    | -5     | 200   | rejected as invalid          | Points must be positive          |
        | the discount is zero                   | pending    | 200    | 0     | rejected as invalid          | Discount must be positive        |
        | the discount is negative               | pending    | 200    | -1    | rejected as invalid          | Discount must be positive        |
        | the discount exceeds the subtotal      | pending    | 6000   | 5001  | rejected as invalid          | Discount cannot exceed subtotal  |
        | cancelled, whatever the input          | cancelled  | 0      | 0     | refused by the current state | Order is already cancelled       |
        | already discounted, with zero points   | discounted | 0      | 0     | refused by the current state | Loyalty discount already applied |

  Rule: payment must equal the total, which is the subtotal less any discount

    Scenario: paying exactly the total is accepted
      Given an order that is pending
      When 5000 cents is paid by "card"
      Then the order records "payment submitted" with:
        | payment method | card |
        | amount         | 5000 |
      And the order now shows:
        | status         | payment_submitted |
        | payment method | card              |

    Scenario: the total reflects the loyalty discount
      Given "CUST-001" placed an order for "2 x SKU-1 at 2500"
      And a loyalty discount of 500 points worth 500 cents was applied
      When 4500 cents is paid by "card"
      Then the order records "payment submitted" with:
        | amount | 4500 |

    Scenario Outline: a payment is refused when <why>
      Given an order that is <stage>
      When <amount> cents is paid by "<method>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                       | stage      | amount | method | verdict                      | message                                                            |
        | the order does not exist                  | not placed | 5000   | card   | refused by the current state | Order does not exist                                               |
        | the order is cancelled                    | cancelled  | 5000   | card   | refused by the current state | Order is already cancelled                                         |
        | payment was already submitted             | paid       | 5000   | card   | refused by the current state | Payment already submitted                                          |
        | the order is completed                    | completed  | 5000   | card   | refused by the current state | Payment already submitted                                          |
        | no payment method is given                | pending    | 5000   |        | rejected as invalid          | Payment method is required                                         |
        | the amount is below the total             | pending    | 4000   | card   | rejected as invalid          | Payment amount does not match order total: expected 5000, got 4000 |
        | the amount is above the total             | pending    | 5001   | card   | rejected as invalid          | Payment amount does not match order total: expected 5000, got 5001 |
        | the discount was ignored                  | discounted | 5000   | card   | rejected as invalid          | Payment amount does not match order total: expected 4800, got 5000 |
        | cancelled, with no method and wrong sum   | cancelled  | 1      |        | refused by the current state | Order is already cancelled                                         |
        | no method and the wrong amount            | pending    | 1      |        | rejected as invalid          | Payment method is required                                         |

  Rule: confirming a submitted payment completes the order and earns loyalty points

    Scenario: confirming completes the order and carries what follow-up work needs
      Given an order that is paid
      When the payment is confirmed with reference "PAY-1"
      Then the order records "order completed" with:
        | final total           | 5000                                 |
        | payment method        | card                                 |
        | payment reference     | PAY-1                                |
        | loyalty points earned | 50                                   |
        | items                 | 2 x SKU-1 at 1000, 1 x SKU-2 at 3000 |
        | customer root         | customer alice@example.com           |
        | cart root             | cart CUST-001                        |
      And the order now shows:
        | status            | completed |
        | payment reference | PAY-1     |

    Scenario Outline: one loyalty point per whole 100 cents of a <total> cent total
      Given "CUST-001" placed an order for "1 x SKU-1 at <total>"
      And <total> cents was paid by "card"
      When the payment is confirmed with reference "PAY-1"
      Then the order records "order completed" with:
        | final total           | <total>  |
        | loyalty points earned | <points> |

      Examples:
        | total | points |
        | 5000  | 50     |
        | 4999  | 49     |
        | 100   | 1      |
        | 99    | 0      |
        | 0     | 0      |

    Scenario: the points are earned on the discounted total
      Given an order that is discounted
      And 4800 cents was paid by "card"
      When the payment is confirmed with reference "PAY-1"
      Then the order records "order completed" with:
        | final total           | 4800 |
        | loyalty points earned | 48   |

    Scenario: confirming an unpaid order says it was not paid
      Given an order that is pending
      When the payment is confirmed with reference "PAY-1"
      Then it is refused by the current state because "payment not submitted"
      And it is refused by the current state because "not paid"

    Scenario Outline: confirming is refused when <why>
      Given an order that is <stage>
      When the payment is confirmed with reference "<reference>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                   | stage      | reference | verdict                      | message                                |
        | the order does not exist              | not placed | PAY-1     | refused by the current state | Order does not exist                   |
        | the order is already completed        | completed  | PAY-2     | refused by the current state | Order is already completed             |
        | the order is cancelled                | cancelled  | PAY-1     | refused by the current state | Order is already cancelled             |
        | no payment was submitted              | pending    | PAY-1     | refused by the current state | Payment not submitted: order not paid  |
        | no payment reference is given         | paid       |           | rejected as invalid          | Payment reference is required          |
        | unpaid and no reference given         | pending    |           | refused by the current state | Payment not submitted: order not paid  |

  Rule: an order can be cancelled until it completes

    Scenario Outline: an order that is <stage> can be cancelled
      Given an order that is <stage>
      When the order is cancelled because "found it cheaper"
      Then the order records "order cancelled" with:
        | reason              | found it cheaper                     |
        | loyalty points used | <points>                             |
        | items               | 2 x SKU-1 at 1000, 1 x SKU-2 at 3000 |
        | customer root       | customer alice@example.com           |
        | cart root           | cart CUST-001                        |
      And the order now shows:
        | status | cancelled |

      Examples:
        | stage      | points |
        | pending    | 0      |
        | discounted | 200    |
        | paid       | 0      |

    Scenario Outline: cancelling is refused when <why>
      Given an order that is <stage>
      When the order is cancelled because "<reason>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                              | stage      | reason           | verdict                      | message                         |
        | the order does not exist         | not placed | found it cheaper | refused by the current state | Order does not exist            |
        | the order is completed           | completed  | found it cheaper | refused by the current state | Order is already completed      |
        | it is already cancelled          | cancelled  | found it cheaper | refused by the current state | Order is already cancelled      |
        | no reason is given               | pending    |                  | rejected as invalid          | Cancellation reason is required |
        | completed and no reason given    | completed  |                  | refused by the current state | Order is already completed      |

  Rule: the order's history rebuilds to the state of each stage

    Scenario Outline: replaying an order that is <stage>
      Given an order that is <stage>
      Then replaying the order's history shows:
        | customer id         | CUST-001   |
        | status              | <status>   |
        | subtotal            | 5000       |
        | discount            | <discount> |
        | loyalty points used | <points>   |
        | payment method      | <method>   |
        | payment reference   | <ref>      |
        | item count          | 2          |

      Examples:
        | stage      | status            | discount | points | method | ref   |
        | pending    | pending           | 0        | 0      | none   | none  |
        | discounted | pending           | 200      | 200    | none   | none  |
        | paid       | payment_submitted | 0        | 0      | card   | none  |
        | completed  | completed         | 0        | 0      | card   | PAY-1 |
        | cancelled  | cancelled         | 0        | 0      | none   | none  |
