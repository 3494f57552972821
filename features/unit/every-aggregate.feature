Feature: What every business aggregate guarantees
  Carts, customers, products, orders, inventories and shipments all keep their history as a
  list of numbered facts. Whatever the aggregate, it refuses requests it cannot understand, numbers
  new facts straight after the last one, reports its state after every change in a form that can
  stand in for its whole history, and answers a refused follow-up step without changing anything.

  Rule: requests an aggregate cannot understand are rejected as invalid

    Scenario Outline: the <aggregate> rejects a request it does not recognise
      Given <one> that is <stage>
      When the <aggregate> receives a request it does not recognise
      Then it is rejected as invalid because "Unknown command type"
      And the <aggregate> is unchanged

      Examples:
        | aggregate | one          | stage              |
        | cart      | a cart       | open with items    |
        | customer  | a customer   | registered         |
        | product   | a product    | listed             |
        | order     | an order     | pending            |
        | inventory | an inventory | stocked            |
        | shipment  | a shipment   | pending            |

    Scenario Outline: the <aggregate> rejects a garbled "<request>" request
      Given <one> that is <stage>
      When the <aggregate> receives a garbled "<request>" request
      Then it is rejected as invalid because "failed to decode"
      And its reason starts with "failed to decode"
      And the <aggregate> is unchanged

      Examples:
        | aggregate | one          | stage           | request            |
        | cart      | a cart       | open with items | add item           |
        | cart      | a cart       | not opened      | create cart        |
        | customer  | a customer   | registered      | add loyalty points |
        | product   | a product    | listed          | set price          |
        | order     | an order     | pending         | submit payment     |
        | order     | an order     | not placed      | create order       |
        | inventory | an inventory | stocked         | reserve stock      |
        | shipment  | a shipment   | packed          | ship               |

    Scenario Outline: the <aggregate> rejects a request with nothing in it
      Given <one> that is <stage>
      When the <aggregate> receives a request with nothing in it
      Then it is rejected as invalid because "has no pages"

      Examples:
        | aggregate | one          | stage      |
        | cart      | a cart       | open and empty |
        | customer  | a customer   | registered |
        | product   | a product    | listed     |
        | order     | an order     | pending    |
        | inventory | an inventory | stocked    |
        | shipment  | a shipment   | pending    |

  Rule: new facts are numbered straight after the last one

    Scenario Outline: the <aggregate>'s next fact is number <number>
      Given <one> that is <stage>
      When <request>
      Then the <aggregate> records "<fact>" as number <number>

      Examples:
        | aggregate | one          | stage                     | request                                                 | fact                    | number |
        | cart      | a cart       | not opened                | a cart is opened for customer "CUST-001"                | cart created            | 0      |
        | cart      | a cart       | open with items           | the cart is checked out                                 | cart checked out        | 2      |
        | customer  | a customer   | holding 100 points        | 50 points are redeemed for "discount"                   | loyalty points redeemed | 2      |
        | product   | a product    | listed                    | its price is changed to 1500 cents                      | price set               | 1      |
        | order     | an order     | paid                      | the payment is confirmed with reference "PAY-1"         | order completed         | 2      |
        | inventory | an inventory | holding stock for order-A | the stock held for "order-A" is released                | reservation released    | 2      |
        | shipment  | a shipment   | packed                    | the goods are handed to "DHL" with tracking number "T1" | shipped                 | 3      |

    Scenario Outline: after a snapshot the <aggregate>'s next fact is still number <number>
      Given <one> that is <stage>
      And its first <kept> event is condensed into a snapshot
      When <request>
      Then the <aggregate> records "<fact>" as number <number>
      And the state it reports matches a full replay of its history

      Examples:
        | aggregate | one          | stage                     | kept | request                                                 | fact                    | number |
        | cart      | a cart       | open with items           | 1    | the cart is checked out                                 | cart checked out        | 2      |
        | cart      | a cart       | open with items           | 2    | the cart is checked out                                 | cart checked out        | 2      |
        | customer  | a customer   | holding 100 points        | 1    | 50 points are redeemed for "discount"                   | loyalty points redeemed | 2      |
        | product   | a product    | listed                    | 1    | its price is changed to 1500 cents                      | price set               | 1      |
        | order     | an order     | paid                      | 1    | the payment is confirmed with reference "PAY-1"         | order completed         | 2      |
        | order     | an order     | paid                      | 2    | the payment is confirmed with reference "PAY-1"         | order completed         | 2      |
        | inventory | an inventory | holding stock for order-A | 1    | the stock held for "order-A" is released                | reservation released    | 2      |
        | shipment  | a shipment   | packed                    | 2    | the goods are handed to "DHL" with tracking number "T1" | shipped                 | 3      |

    Scenario: several facts from one request are numbered consecutively
      Given stock of "SKU-001" was initialised with 20 units and a low-stock threshold of 10
      And 5 units were received
      When 20 units are reserved for "order-A"
      Then the inventory records, in this order:
        | number | what            |
        | 2      | stock reserved  |
        | 3      | low stock alert |

    Scenario: several facts after a snapshot continue from the snapshot's number
      Given stock of "SKU-001" was initialised with 20 units and a low-stock threshold of 10
      And 5 units were received
      And 3 units were reserved for "order-A"
      And its first 2 events are condensed into a snapshot
      When 20 units are reserved for "order-B"
      Then the inventory records, in this order:
        | number | what            |
        | 3      | stock reserved  |
        | 4      | low stock alert |
      And the state it reports matches a full replay of its history

  Rule: the state reported after a change can stand in for the whole history

    Scenario Outline: the <aggregate> reports the same state a full replay gives
      Given <one> that is <stage>
      When <request>
      Then the state it reports matches a full replay of its history

      Examples:
        | aggregate | one          | stage                     | request                                                 |
        | cart      | a cart       | open with a coupon        | 1 of "SKU-2" at 3000 cents is added to the cart         |
        | cart      | a cart       | open with a coupon        | the cart is cleared                                     |
        | customer  | a customer   | credited for order-1      | 10 points are credited for "bonus" under reference "b1" |
        | product   | a product    | listed                    | the product is discontinued because "end of line"       |
        | order     | an order     | discounted                | the order is cancelled because "changed my mind"        |
        | inventory | an inventory | holding stock for order-A | the stock held for "order-A" is committed to shipping   |
        | shipment  | a shipment   | shipped                   | delivery is signed for by "A. Smith"                    |

    Scenario Outline: a snapshot of the <aggregate> plus later facts rebuilds like a full replay
      Given <one> that is <stage>
      And its first <kept> event is condensed into a snapshot
      Then rebuilding from the snapshot gives the same state as a full replay

      Examples:
        | aggregate | one          | stage                     | kept |
        | cart      | a cart       | open with a coupon        | 1    |
        | cart      | a cart       | checked out               | 2    |
        | customer  | a customer   | credited for order-1      | 1    |
        | product   | a product    | discontinued              | 1    |
        | order     | an order     | completed                 | 1    |
        | order     | an order     | cancelled                 | 1    |
        | inventory | an inventory | holding stock for order-A | 1    |
        | shipment  | a shipment   | delivered                 | 2    |

    Scenario: lifetime points survive a snapshot taken between credits
      Given a customer that is registered
      And the customer earned 100 points for "first purchase"
      And its first 2 events are condensed into a snapshot
      And the customer earned 50 points for "second purchase"
      And the customer redeemed 30 points for "discount"
      Then rebuilding from the snapshot gives the same state as a full replay
      And replaying the customer's history shows:
        | balance         | 120 |
        | lifetime points | 150 |

  Rule: a refused follow-up step is answered with a system revocation and changes nothing

    Scenario Outline: the <aggregate> answers a refused follow-up without changing
      Given <one> that is <stage>
      When "<workflow>" reports to the <aggregate> that its follow-up was refused with "<reason>"
      Then a system revocation is requested with reason "<workflow> rejected: <reason>"
      And nothing is recorded
      And the <aggregate> is unchanged

      Examples:
        | aggregate | one          | stage           | workflow                   | reason                                         |
        | cart      | a cart       | checked out     | saga-cart-order            | Cart does not exist                            |
        | customer  | a customer   | registered      | saga-order-customer        | Points already credited for reference earn:x   |
        | product   | a product    | listed          | saga-product-catalogue     | Product is discontinued                        |
        | order     | an order     | pending         | saga-order-inventory       | Insufficient available stock: have 1, need 2   |
        | inventory | an inventory | stocked         | saga-fulfillment-inventory | Reservation not found                          |
        | shipment  | a shipment   | pending         | pmg-order-fulfillment      | Shipment is not packed                         |
