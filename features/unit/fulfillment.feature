Feature: Order fulfillment
  Once an order completes, one shipment is made for it. The warehouse picks the goods, packs
  them, hands them to a carrier, and the customer signs for the delivery. Each step can only
  follow the one before it.

  The shipment below belongs to order ORD-001, whose order id is
  eb8052f7-3398-5b3a-99f8-7d84e926a184, and carries 2 x SKU-1 at 1000 and 1 x SKU-2 at 3000.

  Rule: one shipment per order

    Scenario: creating a shipment records the order and the goods, waiting to be picked
      Given a shipment that is not created
      When a shipment is created for order "eb8052f7-3398-5b3a-99f8-7d84e926a184" with "2 x SKU-1 at 1000"
      Then the shipment records "shipment created" with:
        | order id | eb8052f7-3398-5b3a-99f8-7d84e926a184 |
        | status   | pending                              |
        | items    | 2 x SKU-1 at 1000                    |
      And the shipment now shows:
        | order id   | eb8052f7-3398-5b3a-99f8-7d84e926a184 |
        | status     | pending                              |
        | item count | 1                                    |

    Scenario Outline: creating a shipment is refused when <why>
      Given a shipment that is <stage>
      When a shipment is created for order "<order>" with "1 x SKU-1 at 1000"
      Then it is <verdict> because "<message>"

      Examples:
        | why                              | stage       | order                                | verdict                      | message                 |
        | the order already has a shipment | pending     | eb8052f7-3398-5b3a-99f8-7d84e926a184 | refused by the current state | Shipment already exists |
        | no order is named                | not created |                                      | rejected as invalid          | Order ID is required    |
        | it exists, whatever the input    | delivered   |                                      | refused by the current state | Shipment already exists |

  Rule: goods are picked from a pending shipment

    Scenario: picking records who picked the goods
      Given a shipment that is pending
      When the goods are picked by "picker-7"
      Then the shipment records "items picked" with:
        | picker id | picker-7 |
      And the shipment now shows:
        | status    | picking  |
        | picker id | picker-7 |

    Scenario Outline: picking is refused when <why>
      Given a shipment that is <stage>
      When the goods are picked by "<picker>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                | stage       | picker   | verdict                      | message                 |
        | the shipment does not exist        | not created | picker-7 | refused by the current state | Shipment does not exist |
        | the goods were already picked      | picked      | picker-7 | refused by the current state | Shipment is not pending |
        | the goods are already packed       | packed      | picker-7 | refused by the current state | Shipment is not pending |
        | the goods have shipped             | shipped     | picker-7 | refused by the current state | Shipment is not pending |
        | the goods were delivered           | delivered   | picker-7 | refused by the current state | Shipment is not pending |
        | no picker is named                 | pending     |          | rejected as invalid          | Picker ID is required   |
        | already picked and no picker named | picked      |          | refused by the current state | Shipment is not pending |

  Rule: picked goods are packed

    Scenario: packing records who packed the goods
      Given a shipment that is picked
      When the goods are packed by "packer-3"
      Then the shipment records "items packed" with:
        | packer id | packer-3 |
      And the shipment now shows:
        | status    | packing  |
        | packer id | packer-3 |

    Scenario Outline: packing is refused when <why>
      Given a shipment that is <stage>
      When the goods are packed by "<packer>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                 | stage       | packer   | verdict                      | message                 |
        | the shipment does not exist         | not created | packer-3 | refused by the current state | Shipment does not exist |
        | the goods are not picked yet        | pending     | packer-3 | refused by the current state | Shipment is not picked  |
        | the goods were already packed       | packed      | packer-3 | refused by the current state | Shipment is not picked  |
        | the goods have shipped              | shipped     | packer-3 | refused by the current state | Shipment is not picked  |
        | the goods were delivered            | delivered   | packer-3 | refused by the current state | Shipment is not picked  |
        | no packer is named                  | picked      |          | rejected as invalid          | Packer ID is required   |
        | not picked and no packer named      | pending     |          | refused by the current state | Shipment is not picked  |

  Rule: packed goods are handed to a carrier; a tracking number is optional

    Scenario: shipping records the carrier and tracking number and restates the order and goods
      Given a shipment that is packed
      When the goods are handed to "DHL" with tracking number "TRACK-9"
      Then the shipment records "shipped" with:
        | carrier         | DHL                                  |
        | tracking number | TRACK-9                              |
        | order id        | eb8052f7-3398-5b3a-99f8-7d84e926a184 |
        | items           | 2 x SKU-1 at 1000, 1 x SKU-2 at 3000 |
      And the shipment now shows:
        | status          | shipped |
        | carrier         | DHL     |
        | tracking number | TRACK-9 |

    Scenario: goods may ship without a tracking number
      Given a shipment that is packed
      When the goods are handed to "auto-carrier" with tracking number ""
      Then the shipment records "shipped" with:
        | carrier         | auto-carrier |
        | tracking number | none         |

    Scenario Outline: shipping is refused when <why>
      Given a shipment that is <stage>
      When the goods are handed to "<carrier>" with tracking number "TRACK-9"
      Then it is <verdict> because "<message>"

      Examples:
        | why                              | stage       | carrier | verdict                      | message                 |
        | the shipment does not exist      | not created | DHL     | refused by the current state | Shipment does not exist |
        | the goods are not picked yet     | pending     | DHL     | refused by the current state | Shipment is not packed  |
        | the goods are not packed yet     | picked      | DHL     | refused by the current state | Shipment is not packed  |
        | the goods have already shipped   | shipped     | DHL     | refused by the current state | Shipment is not packed  |
        | the goods were delivered         | delivered   | DHL     | refused by the current state | Shipment is not packed  |
        | no carrier is named              | packed      |         | rejected as invalid          | Carrier is required     |
        | not packed and no carrier named  | picked      |         | refused by the current state | Shipment is not packed  |

  Rule: shipped goods are delivered once

    Scenario: delivery records the signature
      Given a shipment that is shipped
      When delivery is signed for by "A. Smith"
      Then the shipment records "delivered" with:
        | signature | A. Smith |
      And the shipment now shows:
        | status    | delivered |
        | signature | A. Smith  |

    Scenario Outline: delivery is refused when <why>
      Given a shipment that is <stage>
      When delivery is signed for by "A. Smith"
      Then it is <verdict> because "<message>"

      Examples:
        | why                             | stage       | verdict                      | message                       |
        | the shipment does not exist     | not created | refused by the current state | Shipment does not exist       |
        | it was already delivered        | delivered   | refused by the current state | Shipment is already delivered |
        | the goods are not picked yet    | pending     | refused by the current state | Shipment is not shipped       |
        | the goods are not packed yet    | picked      | refused by the current state | Shipment is not shipped       |
        | the goods have not shipped yet  | packed      | refused by the current state | Shipment is not shipped       |

  Rule: the shipment's history rebuilds to the status of each stage

    Scenario Outline: replaying a shipment that is <stage>
      Given a shipment that is <stage>
      Then replaying the shipment's history shows:
        | order id        | eb8052f7-3398-5b3a-99f8-7d84e926a184 |
        | status          | <status>                             |
        | picker id       | <picker>                             |
        | packer id       | <packer>                             |
        | carrier         | <carrier>                            |
        | tracking number | <tracking>                           |
        | signature       | <signature>                          |
        | item count      | 2                                    |

      Examples:
        | stage     | status    | picker   | packer   | carrier | tracking | signature |
        | pending   | pending   | none     | none     | none    | none     | none      |
        | picked    | picking   | picker-7 | none     | none    | none     | none      |
        | packed    | packing   | picker-7 | packer-3 | none    | none     | none      |
        | shipped   | shipped   | picker-7 | packer-3 | DHL     | TRACK-1  | none      |
        | delivered | delivered | picker-7 | packer-3 | DHL     | TRACK-1  | A. Smith  |
