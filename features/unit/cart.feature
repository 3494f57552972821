Feature: Shopping cart
  A customer collects products in one cart before buying them. The cart keeps the lines and
  their running subtotal, takes at most one coupon, and once checked out it is closed for good.

  Rule: a cart is opened once per customer

    Scenario: opening a cart records the customer and starts active and empty
      Given a cart that is not opened
      When a cart is opened for customer "CUST-001"
      Then the cart records "cart created" with:
        | customer id | CUST-001 |
      And the cart now shows:
        | customer id | CUST-001 |
        | status      | active   |
        | item count  | 0        |
        | subtotal    | 0        |
        | coupon code | none     |
        | discount    | 0        |

    Scenario Outline: opening a cart is refused when <why>
      Given a cart that is <stage>
      When a cart is opened for customer "<customer>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                        | stage          | customer | verdict                      | message                 |
        | it is already open                         | open and empty | CUST-001 | refused by the current state | Cart already exists     |
        | no customer is named                       | not opened     |          | rejected as invalid          | Customer ID is required |
        | it already exists, whatever the input says | open and empty |          | refused by the current state | Cart already exists     |

  Rule: adding an item sets its line to the new total and the subtotal to the sum of all lines

    Scenario: the first item sets the subtotal to quantity times price
      Given a cart that is open and empty
      When 2 of "SKU-1" at 1000 cents are added to the cart
      Then the cart records "item added" with:
        | product id  | SKU-1 |
        | quantity    | 2     |
        | unit price  | 1000  |
        | new subtotal | 2000 |
      And the cart now shows:
        | item count | 1    |
        | subtotal   | 2000 |

    Scenario: a second product adds its line to the subtotal
      Given a cart that is open and empty
      And 2 of "SKU-1" at 1000 cents were put in the cart
      When 1 of "SKU-2" at 2500 cents is added to the cart
      Then the cart records "item added" with:
        | new subtotal | 4500 |
      And the cart now shows:
        | item count | 2                                  |
        | items      | 2 x SKU-1 at 1000, 1 x SKU-2 at 2500 |

    Scenario: adding a product already in the cart raises its line to the sum
      Given a cart that is open and empty
      And 2 of "SKU-1" at 1000 cents were put in the cart
      When 3 of "SKU-1" at 1000 cents are added to the cart
      Then the cart records "item added" with:
        | quantity     | 5    |
        | new subtotal | 5000 |
      And the cart now shows:
        | item count     | 1    |
        | quantity of SKU-1 | 5 |
        | subtotal       | 5000 |

    Scenario: the latest price of a product wins for its whole line
      Given a cart that is open and empty
      And 2 of "SKU-1" at 1000 cents were put in the cart
      When 1 of "SKU-1" at 1200 cents is added to the cart
      Then the cart records "item added" with:
        | quantity     | 3    |
        | unit price   | 1200 |
        | new subtotal | 3600 |

    Scenario: a free product may be added
      Given a cart that is open and empty
      When 1 of "FREEBIE" at 0 cents is added to the cart
      Then the cart records "item added" with:
        | new subtotal | 0 |

    Scenario Outline: adding an item is refused when <why>
      Given a cart that is <stage>
      When <quantity> of "<product>" at <price> cents are added to the cart
      Then it is <verdict> because "<message>"

      Examples:
        | why                                        | stage          | product | quantity | price | verdict                      | message                       |
        | the cart does not exist                    | not opened     | SKU-1   | 1        | 1000  | refused by the current state | Cart does not exist           |
        | the cart is checked out                    | checked out    | SKU-1   | 1        | 1000  | refused by the current state | Cart is already checked out   |
        | no product is named                        | open and empty |         | 1        | 1000  | rejected as invalid          | Product ID is required        |
        | the quantity is zero                       | open and empty | SKU-1   | 0        | 1000  | rejected as invalid          | Quantity must be positive     |
        | the quantity is negative                   | open and empty | SKU-1   | -1       | 1000  | rejected as invalid          | Quantity must be positive     |
        | the price is negative                      | open and empty | SKU-1   | 1        | -1    | rejected as invalid          | Unit price cannot be negative |
        | the cart is closed and the input is bad    | checked out    |         | 0        | -1    | refused by the current state | Cart is already checked out   |
        | no product and no quantity are given       | open and empty |         | 0        | 1000  | rejected as invalid          | Product ID is required        |

  Rule: changing a quantity states the old and new quantity and the new subtotal

    Scenario: raising a quantity recomputes the subtotal
      Given a cart that is open with items
      When the quantity of "SKU-1" is changed to 5
      Then the cart records "quantity updated" with:
        | product id   | SKU-1 |
        | old quantity | 2     |
        | new quantity | 5     |
        | new subtotal | 5000  |
      And the cart now shows:
        | quantity of SKU-1 | 5    |
        | subtotal          | 5000 |

    Scenario Outline: changing a quantity is refused when <why>
      Given a cart that is <stage>
      When the quantity of "<product>" is changed to <quantity>
      Then it is <verdict> because "<message>"

      Examples:
        | why                                    | stage           | product | quantity | verdict                      | message                     |
        | the cart does not exist                | not opened      | SKU-1   | 3        | refused by the current state | Cart does not exist         |
        | the cart is checked out                | checked out     | SKU-1   | 3        | refused by the current state | Cart is already checked out |
        | the new quantity is zero               | open with items | SKU-1   | 0        | rejected as invalid          | Quantity must be positive   |
        | the new quantity is negative           | open with items | SKU-1   | -2       | rejected as invalid          | Quantity must be positive   |
        | the product is not in the cart         | open with items | SKU-9   | 3        | rejected as not found        | Item not in cart            |
        | a bad quantity for an unknown product  | open with items | SKU-9   | 0        | rejected as invalid          | Quantity must be positive   |

  Rule: removing a product drops its line from the subtotal

    Scenario: removing the only item leaves nothing to pay
      Given a cart that is open with items
      When "SKU-1" is removed from the cart
      Then the cart records "item removed" with:
        | product id   | SKU-1 |
        | quantity     | 2     |
        | new subtotal | 0     |
      And the cart now shows:
        | item count | 0 |
        | subtotal   | 0 |

    Scenario: removing one of two lines leaves the other's amount
      Given a cart that is open with items
      And 1 of "SKU-2" at 2500 cents was put in the cart
      When "SKU-1" is removed from the cart
      Then the cart records "item removed" with:
        | new subtotal | 2500 |
      And the cart now shows:
        | items | 1 x SKU-2 at 2500 |

    Scenario Outline: removing a product is refused when <why>
      Given a cart that is <stage>
      When "<product>" is removed from the cart
      Then it is <verdict> because "<message>"

      Examples:
        | why                            | stage           | product | verdict                      | message                     |
        | the cart does not exist        | not opened      | SKU-1   | refused by the current state | Cart does not exist         |
        | the cart is checked out        | checked out     | SKU-1   | refused by the current state | Cart is already checked out |
        | the product is not in the cart | open with items | SKU-9   | rejected as not found        | Item not in cart            |

  Rule: one coupon per cart; its discount is fixed when it is applied

    Scenario Outline: a <kind> coupon worth <value> on a subtotal of <subtotal> gives <discount> off
      Given a cart that is open and empty
      And 1 of "SKU-1" at <subtotal> cents was put in the cart
      When the coupon "PROMO" of type "<kind>" worth <value> is applied
      Then the cart records "coupon applied" with:
        | coupon code | PROMO      |
        | coupon type | <kind>     |
        | value       | <value>    |
        | discount    | <discount> |
      And the cart now shows:
        | coupon code | PROMO      |
        | discount    | <discount> |
        | subtotal    | <subtotal> |

      Examples:
        | kind       | value | subtotal | discount |
        | percentage | 10    | 2000     | 200      |
        | percentage | 100   | 2000     | 2000     |
        | percentage | 15    | 999      | 149      |
        | fixed      | 500   | 2000     | 500      |
        | fixed      | 2500  | 2000     | 2000     |

    Scenario: later line changes do not recompute the discount
      Given a cart that is open with a coupon
      When 1 of "SKU-2" at 3000 cents is added to the cart
      Then the cart now shows:
        | subtotal | 5000 |
        | discount | 200  |

    Scenario Outline: applying a coupon is refused when <why>
      Given a cart that is <stage>
      When the coupon "<code>" of type "<kind>" worth <value> is applied
      Then it is <verdict> because "<message>"

      Examples:
        | why                                      | stage              | code  | kind       | value | verdict                      | message                                 |
        | the cart does not exist                  | not opened         | PROMO | percentage | 10    | refused by the current state | Cart does not exist                     |
        | the cart is checked out                  | checked out        | PROMO | percentage | 10    | refused by the current state | Cart is already checked out             |
        | a coupon is already applied              | open with a coupon | MORE  | fixed      | 100   | refused by the current state | Coupon already applied                  |
        | no code is given                         | open with items    |       | percentage | 10    | rejected as invalid          | Coupon code is required                 |
        | the coupon type is unknown               | open with items    | PROMO | bogus      | 10    | rejected as invalid          | Coupon type must be percentage or fixed |
        | the value is zero                        | open with items    | PROMO | fixed      | 0     | rejected as invalid          | Coupon value must be positive           |
        | the value is negative                    | open with items    | PROMO | percentage | -5    | rejected as invalid          | Coupon value must be positive           |
        | a percentage exceeds 100                 | open with items    | PROMO | percentage | 101   | rejected as invalid          | Percentage cannot exceed 100            |
        | the cart is empty                        | open and empty     | PROMO | percentage | 10    | refused by the current state | Cart is empty                           |
        | a second coupon has no code either       | open with a coupon |       | fixed      | 100   | refused by the current state | Coupon already applied                  |
        | the type is unknown and the cart empty   | open and empty     | PROMO | bogus      | 10    | rejected as invalid          | Coupon type must be percentage or fixed |

  Rule: clearing empties an open cart, coupon included

    Scenario: clearing removes the items and the coupon
      Given a cart that is open with a coupon
      When the cart is cleared
      Then the cart records "cart cleared" with:
        | new subtotal | 0 |
      And the cart now shows:
        | item count  | 0      |
        | subtotal    | 0      |
        | coupon code | none   |
        | discount    | 0      |
        | status      | active |

    Scenario: an empty cart may be cleared
      Given a cart that is open and empty
      When the cart is cleared
      Then the cart records "cart cleared"

    Scenario Outline: clearing is refused when <why>
      Given a cart that is <stage>
      When the cart is cleared
      Then it is <verdict> because "<message>"

      Examples:
        | why                     | stage       | verdict                      | message                     |
        | the cart does not exist | not opened  | refused by the current state | Cart does not exist         |
        | the cart is checked out | checked out | refused by the current state | Cart is already checked out |

  Rule: checking out closes the cart and states what is owed

    Scenario: checking out without a coupon
      Given a cart that is open with items
      When the cart is checked out
      Then the cart records "cart checked out" with:
        | final subtotal | 2000 |
        | discount       | 0    |
      And the cart now shows:
        | status | checked_out |

    Scenario: checking out with a coupon reports the discount separately
      Given a cart that is open with a coupon
      When the cart is checked out
      Then the cart records "cart checked out" with:
        | final subtotal | 2000 |
        | discount       | 200  |

    Scenario: a stored discount larger than what remains is capped at the subtotal
      Given a cart that is open and empty
      And 2 of "SKU-1" at 1000 cents were put in the cart
      And the fixed coupon "BIG" worth 1500 was applied
      And the quantity of "SKU-1" was changed to 1
      When the cart is checked out
      Then the cart records "cart checked out" with:
        | final subtotal | 1000 |
        | discount       | 1000 |

    Scenario Outline: checking out is refused when <why>
      Given a cart that is <stage>
      When the cart is checked out
      Then it is <verdict> because "<message>"

      Examples:
        | why                          | stage          | verdict                      | message                     |
        | the cart does not exist      | not opened     | refused by the current state | Cart does not exist         |
        | it was already checked out   | checked out    | refused by the current state | Cart is already checked out |
        | the cart is empty            | open and empty | refused by the current state | Cart is empty               |

  Rule: the cart's history rebuilds to the state of each stage

    Scenario Outline: replaying a cart that is <stage>
      Given a cart that is <stage>
      Then replaying the cart's history shows:
        | customer id | CUST-001   |
        | status      | <status>   |
        | item count  | <count>    |
        | subtotal    | <subtotal> |
        | coupon code | <coupon>   |
        | discount    | <discount> |

      Examples:
        | stage              | status      | count | subtotal | coupon | discount |
        | open and empty     | active      | 0     | 0        | none   | 0        |
        | open with items    | active      | 1     | 2000     | none   | 0        |
        | open with a coupon | active      | 1     | 2000     | SAVE10 | 200      |
        | checked out        | checked_out | 1     | 2000     | none   | 0        |
