Feature: Every workflow keeps its own thread
  Everything a request sets in motion carries that request's workflow id, so one workflow can
  be followed across orders, stock, shipments and customers without mixing it up with another.

  Scenario: Two orders placed side by side stay apart
    Given the product "SKU-A" is stocked with 10 units
    And the product "SKU-B" is stocked with 10 units
    And a customer "ann@example.com" named "Ann"
    And a customer "ben@example.com" named "Ben"
    When "ann@example.com" orders 1 "SKU-A" at 1500 cents each as order "ORD-A" in workflow "A"
    And "ben@example.com" orders 2 "SKU-B" at 700 cents each as order "ORD-B" in workflow "B"
    And order "ORD-A" is paid in full and confirmed
    And order "ORD-B" is paid in full and confirmed
    Then within 5 seconds a shipment is opened for order "ORD-A" under the order's own identity
    And within 5 seconds a shipment is opened for order "ORD-B" under the order's own identity
    And within 5 seconds looking up workflow "A" finds records of the order, the stock, the shipment, the customer and the order-fulfillment process
    And everything order "ORD-A" caused belongs to workflow "A"
    And everything order "ORD-B" caused belongs to workflow "B"
    And nothing recorded for order "ORD-B" belongs to workflow "A"
    And the shipment of order "ORD-A" was opened in workflow "A"
    And the shipment of order "ORD-B" was opened in workflow "B"

  Scenario: A request that names no workflow is given one
    Given the product "SKU-N" is stocked with 10 units
    When a walk-in customer orders 2 "SKU-N" at 300 cents each as order "ORD-N" without naming a workflow
    Then the order's first event carries a workflow id chosen by the system
    And within 5 seconds 2 "SKU-N" are held for order "ORD-N", leaving 8 available
    And the stock held for order "ORD-N" shares the workflow id the system chose
