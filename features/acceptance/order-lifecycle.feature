Feature: An order travels from checkout to the customer's door
  Once a customer orders, the rest of the journey runs by itself: the stock is held for the
  order, paying and confirming opens a shipment and credits loyalty points, the warehouse's
  packing sends the parcel on its way, and the goods leave the books when they ship.

  Background:
    Given the product "E2E-WIDGET" is stocked with 100 units and a low-stock threshold of 10
    And a customer "alice@example.com" named "Alice"

  Scenario: An order goes through every step of fulfilment
    When "alice@example.com" orders 2 "E2E-WIDGET" at 2500 cents each as order "ORD-E2E" in workflow "C"
    Then within 5 seconds 2 "E2E-WIDGET" are held for order "ORD-E2E", leaving 98 available
    When order "ORD-E2E" is paid in full by "card"
    Then the amount paid for order "ORD-E2E" was 5000 cents
    When the payment for order "ORD-E2E" is confirmed with reference "PAY-E2E"
    Then order "ORD-E2E" is completed, earning 50 loyalty points
    And within 5 seconds a shipment is opened for order "ORD-E2E" under the order's own identity
    And within 5 seconds "alice@example.com" has 50 loyalty points
    When the warehouse picks the shipment of order "ORD-E2E" as "picker-7"
    And the warehouse packs the shipment of order "ORD-E2E" as "packer-3"
    Then within 5 seconds the dispatch of the shipment of order "ORD-E2E" is recorded for workflow "C"
    And within 5 seconds the shipment of order "ORD-E2E" has left with an automatically chosen carrier
    And within 5 seconds the stock held for order "ORD-E2E" leaves "E2E-WIDGET" with 98 on hand and 0 reserved
    When the shipment of order "ORD-E2E" is delivered and signed for by "Alice"
    Then the shipment of order "ORD-E2E" is delivered
    And within 5 seconds the stock report shows "E2E-WIDGET" with 98 on hand, 0 reserved and 98 available
    And within 5 seconds the order report shows order "ORD-E2E" completed, with a receipt for 50 points
    And within 5 seconds the loyalty report shows "alice@example.com" with 50 points
    And everything order "ORD-E2E" caused belongs to workflow "C"
    And looking up workflow "C" finds records of the order, the stock, the shipment, the customer and the order-fulfillment process
