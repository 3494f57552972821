Feature: A map of the system
  The system draws its own map: every component of the business, how many events each holds or
  takes and the last one, and the flows seen between them — events of one area that made an
  automatic step write into another — each with a workflow it was seen in.

  Scenario: After one order's journey the map shows every component and the flows between them
    Given the product "SKU-MAP" is stocked with 10 units
    And a customer "mia@example.com" named "Mia"
    When "mia@example.com" orders 1 "SKU-MAP" at 1000 cents each as order "ORD-MAP" in workflow "M"
    Then within 5 seconds 1 "SKU-MAP" are held for order "ORD-MAP", leaving 9 available
    When order "ORD-MAP" is paid in full and confirmed
    Then within 5 seconds a shipment is opened for order "ORD-MAP" under the order's own identity
    When the warehouse picks the shipment of order "ORD-MAP" as "picker-9"
    And the warehouse packs the shipment of order "ORD-MAP" as "packer-9"
    Then within 5 seconds the shipment of order "ORD-MAP" has left with an automatically chosen carrier
    And the system map shows every component of the example business
    And within 5 seconds the system map shows events flowing from order to inventory through "saga-order-inventory"
    And within 5 seconds the system map shows events flowing from order to fulfillment through "saga-order-fulfillment"
    And within 5 seconds the system map shows events flowing from fulfillment to inventory through "saga-fulfillment-inventory"
    And within 5 seconds the system map shows events flowing from order to customer through "saga-order-customer"
    And within 5 seconds the system map shows events flowing from fulfillment to fulfillment through "pmg-order-fulfillment"
    And the system map counts the events held in "order, inventory, fulfillment", each with its last event's type
