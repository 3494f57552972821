Feature: Product inventory
  Each product's stock has an amount on hand, part of which may be held for orders. What is not
  held is available. Holding stock for an order, releasing it and shipping it are each stated as
  the resulting amounts. When a hold leaves less available than the product's low-stock threshold,
  the same change also raises a low-stock alert, so that buyers can restock.

  The stocked product below is SKU-001 with 100 units on hand and no low-stock threshold.

  Rule: stock is initialised once per product; zero units is a valid start

    Scenario Outline: initialising with <quantity> units records the product and the quantity
      Given an inventory that is not initialised
      When stock of "SKU-001" is initialised with <quantity> units and a low-stock threshold of 10
      Then the inventory records "stock initialized" with:
        | product id          | SKU-001    |
        | quantity            | <quantity> |
        | low stock threshold | 10         |
      And the inventory now shows:
        | product id          | SKU-001    |
        | on hand             | <quantity> |
        | reserved            | 0          |
        | available           | <quantity> |
        | low stock threshold | 10         |
        | reservation count   | 0          |

      Examples:
        | quantity |
        | 100      |
        | 0        |

    Scenario Outline: initialising is refused when <why>
      Given an inventory that is <stage>
      When stock of "<product>" is initialised with <quantity> units and a low-stock threshold of <threshold>
      Then it is <verdict> because "<message>"

      Examples:
        | why                                  | stage           | product | quantity | threshold | verdict                      | message                                |
        | it is already initialised            | stocked         | SKU-001 | 100      | 0         | refused by the current state | Inventory already initialized          |
        | no product is named                  | not initialised |         | 100      | 0         | rejected as invalid          | Product ID is required                 |
        | the quantity is negative             | not initialised | SKU-001 | -1       | 0         | rejected as invalid          | Quantity cannot be negative            |
        | the threshold is negative            | not initialised | SKU-001 | 100      | -1        | rejected as invalid          | Low stock threshold cannot be negative |
        | initialised, whatever the input      | stocked         |         | -1       | -1        | refused by the current state | Inventory already initialized          |
        | negative quantity and threshold      | not initialised | SKU-001 | -1       | -1        | rejected as invalid          | Quantity cannot be negative            |

  Rule: receiving stock states the new amount on hand

    Scenario: receiving adds to what is on hand
      Given stock of "SKU-001" was initialised with 50 units and a low-stock threshold of 0
      When 25 units are received with reference "PO-17"
      Then the inventory records "stock received" with:
        | quantity    | 25    |
        | new on hand | 75    |
        | reference   | PO-17 |
      And the inventory now shows:
        | on hand   | 75 |
        | available | 75 |

    Scenario Outline: receiving is refused when <why>
      Given an inventory that is <stage>
      When <quantity> units are received with reference "PO-17"
      Then it is <verdict> because "<message>"

      Examples:
        | why                          | stage           | quantity | verdict                      | message                   |
        | the stock is not initialised | not initialised | 25       | refused by the current state | Inventory not initialized |
        | the quantity is zero         | stocked         | 0        | rejected as invalid          | Quantity must be positive |
        | the quantity is negative     | stocked         | -5       | rejected as invalid          | Quantity must be positive |

  Rule: holding stock for an order lowers what is available, one hold per order

    Scenario: a hold states the quantity, the order and what remains available
      Given an inventory that is stocked
      When 10 units are reserved for "order-A"
      Then the inventory records "stock reserved" with:
        | quantity      | 10      |
        | order id      | order-A |
        | new available | 90      |
        | new reserved  | 10      |
        | new on hand   | 100     |
      And the inventory now shows:
        | on hand             | 100 |
        | reserved            | 10  |
        | available           | 90  |
        | reservation for order-A | 10 |

    Scenario: holds for different orders stack
      Given an inventory that is holding stock for order-A
      When 30 units are reserved for "order-B"
      Then the inventory records "stock reserved" with:
        | new available | 50 |
        | new reserved  | 50 |
      And the inventory now shows:
        | reservation for order-A | 20 |
        | reservation for order-B | 30 |
        | available               | 50 |

    Scenario: all that is available may be held
      Given an inventory that is stocked
      When 100 units are reserved for "order-A"
      Then the inventory records "stock reserved" with:
        | new available | 0 |

    Scenario Outline: a hold is refused when <why>
      Given an inventory that is <stage>
      When <quantity> units are reserved for "<order>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                    | stage                     | quantity | order   | verdict                      | message                                          |
        | the stock is not initialised           | not initialised           | 10       | order-A | refused by the current state | Inventory not initialized                        |
        | the quantity is zero                   | stocked                   | 0        | order-A | rejected as invalid          | Quantity must be positive                        |
        | the quantity is negative               | stocked                   | -1       | order-A | rejected as invalid          | Quantity must be positive                        |
        | no order is named                      | stocked                   | 10       |         | rejected as invalid          | Order ID is required                             |
        | the order already holds stock          | holding stock for order-A | 5        | order-A | refused by the current state | Reservation already exists for this order        |
        | more than is available is asked for    | stocked                   | 101      | order-A | refused by the current state | Insufficient available stock: have 100, need 101 |
        | held stock is not available to others  | holding stock for order-A | 81       | order-B | refused by the current state | Insufficient available stock: have 80, need 81   |
        | a repeated order asks too much as well | holding stock for order-A | 500      | order-A | refused by the current state | Reservation already exists for this order        |
        | zero units for no order                | stocked                   | 0        |         | rejected as invalid          | Quantity must be positive                        |

  Rule: a hold that leaves less available than the threshold raises a low-stock alert too

    Scenario: the alert follows the hold in the same change
      Given stock of "SKU-001" was initialised with 20 units and a low-stock threshold of 10
      When 15 units are reserved for "order-A"
      Then the inventory records, in this order:
        | number | what            |
        | 1      | stock reserved  |
        | 2      | low stock alert |
      And the inventory records "low stock alert" with:
        | product id | SKU-001 |
        | available  | 5       |
        | threshold  | 10      |

    Scenario: every hold below the threshold alerts again
      Given stock of "SKU-001" was initialised with 20 units and a low-stock threshold of 10
      And 15 units were reserved for "order-A"
      When 2 units are reserved for "order-B"
      Then the inventory records "low stock alert" with:
        | available | 3 |

    Scenario Outline: no alert when <why>
      Given stock of "SKU-001" was initialised with <on hand> units and a low-stock threshold of <threshold>
      When <quantity> units are reserved for "order-A"
      Then the inventory records "stock reserved"
      And it does not record "low stock alert"

      Examples:
        | why                                   | on hand | threshold | quantity |
        | there is no threshold                 | 20      | 0         | 15       |
        | what remains equals the threshold     | 20      | 10        | 10       |
        | what remains stays above the threshold | 100     | 10        | 50       |

    Scenario: receiving stock never raises an alert
      Given stock of "SKU-001" was initialised with 0 units and a low-stock threshold of 10
      When 1 units are received with reference "PO-1"
      Then the inventory records "stock received"
      And it does not record "low stock alert"

  Rule: a hold ends either released back to available stock or committed when the goods ship

    Scenario: releasing returns the held quantity to available
      Given stock of "SKU-001" was initialised with 100 units and a low-stock threshold of 0
      And 25 units were reserved for "order-A"
      When the stock held for "order-A" is released
      Then the inventory records "reservation released" with:
        | order id      | order-A |
        | quantity      | 25      |
        | new available | 100     |
        | new reserved  | 0       |
        | new on hand   | 100     |
      And the inventory now shows:
        | available               | 100 |
        | reservation for order-A | 0   |
        | reservation count       | 0   |

    Scenario: committing lowers what is on hand by the held quantity and frees it
      Given stock of "SKU-001" was initialised with 100 units and a low-stock threshold of 0
      And 15 units were reserved for "order-A"
      When the stock held for "order-A" is committed to shipping
      Then the inventory records "reservation committed" with:
        | order id     | order-A |
        | quantity     | 15      |
        | new on hand  | 85      |
        | new reserved | 0       |
      And the inventory now shows:
        | on hand           | 85 |
        | reserved          | 0  |
        | available         | 85 |
        | reservation count | 0  |

    Scenario: ending one hold leaves the others in place
      Given an inventory that is holding stock for order-A
      And 30 units were reserved for "order-B"
      When the stock held for "order-A" is committed to shipping
      Then the inventory records "reservation committed" with:
        | new on hand  | 80 |
        | new reserved | 30 |
      And the inventory now shows:
        | reservation for order-B | 30 |
        | available               | 50 |

    Scenario Outline: <action> a hold is refused when <why>
      Given an inventory that is <stage>
      When the stock held for "<order>" is <outcome>
      Then it is <verdict> because "<message>"

      Examples:
        | action     | why                          | stage                     | order   | outcome                 | verdict                      | message                   |
        | releasing  | the stock is not initialised | not initialised           | order-A | released                | refused by the current state | Inventory not initialized |
        | releasing  | no order is named            | holding stock for order-A |         | released                | rejected as invalid          | Order ID is required      |
        | releasing  | the order holds nothing      | holding stock for order-A | order-B | released                | rejected as not found        | Reservation not found     |
        | releasing  | nothing is held at all       | stocked                   | order-A | released                | rejected as not found        | not found                 |
        | committing | the stock is not initialised | not initialised           | order-A | committed to shipping   | refused by the current state | Inventory not initialized |
        | committing | no order is named            | holding stock for order-A |         | committed to shipping   | rejected as invalid          | Order ID is required      |
        | committing | the order holds nothing      | holding stock for order-A | order-B | committed to shipping   | rejected as not found        | Reservation not found     |
        | committing | nothing is held at all       | stocked                   | order-A | committed to shipping   | rejected as not found        | not found                 |

    Scenario: a released hold cannot be committed afterwards
      Given an inventory that is holding stock for order-A
      And the stock held for "order-A" was released
      When the stock held for "order-A" is committed to shipping
      Then it is rejected as not found because "Reservation not found"

  Rule: the inventory's history rebuilds to on hand, held and available

    Scenario: after a receipt
      Given stock of "SKU-001" was initialised with 50 units and a low-stock threshold of 0
      And 30 units were received
      Then replaying the inventory's history shows:
        | on hand   | 80 |
        | reserved  | 0  |
        | available | 80 |

    Scenario: after a hold
      Given an inventory that is stocked
      And 25 units were reserved for "order-A"
      Then replaying the inventory's history shows:
        | on hand                 | 100 |
        | reserved                | 25  |
        | available               | 75  |
        | reservation for order-A | 25  |

    Scenario: after a commit
      Given an inventory that is stocked
      And 30 units were reserved for "order-A"
      And the stock held for "order-A" was shipped
      Then replaying the inventory's history shows:
        | on hand           | 70 |
        | reserved          | 0  |
        | available         | 70 |
        | reservation count | 0  |

    Scenario: after a release
      Given an inventory that is stocked
      And 30 units were reserved for "order-A"
      And the stock held for "order-A" was released
      Then replaying the inventory's history shows:
        | on hand           | 100 |
        | reserved          | 0   |
        | available         | 100 |
        | reservation count | 0   |
