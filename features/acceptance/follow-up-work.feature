Feature: The work an order sets in motion happens exactly once
  Holding stock, opening and dispatching the shipment and crediting points follow from what was
  recorded, not from the order in which news arrives. News that arrives twice, late or out of
  order, or work that meets a competing change, never makes anything happen twice or not at all.

  Scenario: The parcel leaves once, even when the packing is done before the payment
    Given the product "SKU-EARLY" is stocked with 10 units
    And a customer "pat@example.com" named "Pat"
    When "pat@example.com" orders 1 "SKU-EARLY" at 1500 cents each as order "ORD-EARLY" in workflow "EARLY"
    Then within 5 seconds 1 "SKU-EARLY" are held for order "ORD-EARLY", leaving 9 available
    When the warehouse opens the shipment of order "ORD-EARLY" by hand
    And the warehouse picks the shipment of order "ORD-EARLY" as "picker-1"
    And the warehouse packs the shipment of order "ORD-EARLY" as "packer-1"
    Then within 5 seconds the order-fulfillment process of order "ORD-EARLY" has recorded the packing, and nothing has left yet
    When order "ORD-EARLY" is paid in full by "card"
    Then within 5 seconds the shipment of order "ORD-EARLY" has left with an automatically chosen carrier
    And within 5 seconds the dispatch of the shipment of order "ORD-EARLY" is recorded for workflow "EARLY"
    And once everything has settled, the shipment of order "ORD-EARLY" was dispatched and left exactly once

  Scenario: A payment and a packing repeated after the parcel left change nothing
    Given the product "SKU-AGAIN" is stocked with 10 units
    And a customer "rae@example.com" named "Rae"
    When "rae@example.com" orders 1 "SKU-AGAIN" at 2000 cents each as order "ORD-AGAIN" in workflow "AGAIN"
    And order "ORD-AGAIN" is paid in full and confirmed
    Then within 5 seconds a shipment is opened for order "ORD-AGAIN" under the order's own identity
    When the warehouse picks the shipment of order "ORD-AGAIN" as "picker-2"
    And the warehouse packs the shipment of order "ORD-AGAIN" as "packer-2"
    Then within 5 seconds the shipment of order "ORD-AGAIN" has left with an automatically chosen carrier
    When order "ORD-AGAIN" is paid in full by "card" once more
    Then the request is refused as refused by the current state with the message "Payment already submitted"
    When the warehouse packs the shipment of order "ORD-AGAIN" as "packer-2" once more
    Then the request is refused as refused by the current state with the message "Shipment is not picked"
    And once everything has settled, the shipment of order "ORD-AGAIN" was dispatched and left exactly once

  @embedded
  Scenario: News of the payment and the packing delivered twice to the order-fulfillment process changes nothing
    Given the product "SKU-TWICE" is stocked with 10 units
    And a customer "sam@example.com" named "Sam"
    When "sam@example.com" orders 1 "SKU-TWICE" at 2000 cents each as order "ORD-TWICE" in workflow "TWICE"
    And order "ORD-TWICE" is paid in full and confirmed
    Then within 5 seconds a shipment is opened for order "ORD-TWICE" under the order's own identity
    When the warehouse picks the shipment of order "ORD-TWICE" as "picker-3"
    And the warehouse packs the shipment of order "ORD-TWICE" as "packer-3"
    Then within 5 seconds the shipment of order "ORD-TWICE" has left with an automatically chosen carrier
    When the news of the payment and of the packing of order "ORD-TWICE" is delivered again
    Then once everything has settled, the shipment of order "ORD-TWICE" was dispatched and left exactly once
    And within 5 seconds 1 "SKU-TWICE" are held for order "ORD-TWICE", leaving 9 available

  Scenario: Two orders in progress side by side never mix, one complete and one half way
    Given the product "SKU-FULL" is stocked with 10 units
    And the product "SKU-HALF" is stocked with 10 units
    And a customer "una@example.com" named "Una"
    And a customer "val@example.com" named "Val"
    When "una@example.com" orders 1 "SKU-FULL" at 1000 cents each as order "ORD-FULL" in workflow "FULL"
    And "val@example.com" orders 2 "SKU-HALF" at 1000 cents each as order "ORD-HALF" in workflow "HALF"
    And order "ORD-FULL" is paid in full and confirmed
    And order "ORD-HALF" is paid in full by "card"
    Then within 5 seconds a shipment is opened for order "ORD-FULL" under the order's own identity
    When the warehouse picks the shipment of order "ORD-FULL" as "picker-4"
    And the warehouse packs the shipment of order "ORD-FULL" as "packer-4"
    Then within 5 seconds the shipment of order "ORD-FULL" has left with an automatically chosen carrier
    And within 5 seconds the order-fulfillment process of order "ORD-HALF" has recorded the payment and the stock, and nothing more
    And the order-fulfillment process of order "ORD-FULL" knows nothing of order "ORD-HALF"
    And the order-fulfillment process of order "ORD-HALF" knows nothing of order "ORD-FULL"
    And nothing recorded for order "ORD-HALF" belongs to workflow "FULL"
    And nothing recorded for order "ORD-FULL" belongs to workflow "HALF"

  Scenario: An order that earns no points credits nothing
    Given the product "SKU-CHEAP" is stocked with 10 units
    And a customer "wes@example.com" named "Wes"
    When "wes@example.com" orders 1 "SKU-CHEAP" at 99 cents each as order "ORD-CHEAP" in workflow "CHEAP"
    And order "ORD-CHEAP" is paid in full by "card"
    And the payment for order "ORD-CHEAP" is confirmed with reference "PAY-CHEAP", waiting for everything
    Then order "ORD-CHEAP" is completed, earning 0 loyalty points
    And the record of "wes@example.com" holds nothing but the registration

  Scenario: Cancelling an order that used no points refunds nothing
    Given the product "SKU-NOPTS" is stocked with 10 units
    And a customer "xia@example.com" named "Xia"
    When "xia@example.com" orders 1 "SKU-NOPTS" at 500 cents each as order "ORD-NOPTS" in workflow "NOPTS"
    Then within 5 seconds 1 "SKU-NOPTS" are held for order "ORD-NOPTS", leaving 9 available
    When order "ORD-NOPTS" is cancelled because "changed my mind", waiting for everything
    Then the record of "xia@example.com" holds nothing but the registration

  @embedded
  Scenario: A hold that meets a delivery recorded at the same moment is made again on the new stock
    Given the product "SKU-CLASH" is stocked with 10 units
    And another writer records a delivery of 5 "SKU-CLASH" just before the next hold of it is stored
    When a walk-in customer orders 2 "SKU-CLASH" at 100 cents each as order "ORD-CLASH" without naming a workflow
    Then within 5 seconds 2 "SKU-CLASH" are held for order "ORD-CLASH", leaving 13 available
    And the hold for order "ORD-CLASH" first met the other writer's delivery
    And the stock history of "SKU-CLASH" is numbered without gaps or repeats
    And the stock history of "SKU-CLASH" has 3 events

  Scenario: A hold made while another writer keeps recording deliveries lands once
    Given the product "SKU-BUSY" is stocked with 10 units
    When another writer records 20 deliveries of 1 "SKU-BUSY" one after another while a walk-in customer orders 2 "SKU-BUSY" at 100 cents each as order "ORD-BUSY"
    Then within 5 seconds 2 "SKU-BUSY" are held for order "ORD-BUSY"
    And the stock history of "SKU-BUSY" is numbered without gaps or repeats
    And the stock history of "SKU-BUSY" has 22 events
    And within 5 seconds the stock report shows "SKU-BUSY" with 30 on hand, 2 reserved and 28 available
