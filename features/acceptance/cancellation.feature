Feature: Cancelling an order undoes what it set in motion
  A cancelled order gives its held stock back to the shelf and returns the loyalty points
  the customer spent on it. Nothing is ever shipped for it.

  Scenario: A paid order with a loyalty discount is cancelled
    Given the product "SKU-CANCEL" is stocked with 50 units
    And a customer "bob@example.com" named "Bob" with 300 loyalty points
    When "bob@example.com" spends 200 loyalty points on an order discount
    And "bob@example.com" orders 3 "SKU-CANCEL" at 1000 cents each as order "ORD-CANCEL"
    And order "ORD-CANCEL" gets a loyalty discount of 200 points worth 200 cents
    Then within 5 seconds 3 "SKU-CANCEL" are held for order "ORD-CANCEL", leaving 47 available
    And "bob@example.com" has 100 loyalty points
    When order "ORD-CANCEL" is paid in full by "card"
    Then the amount paid for order "ORD-CANCEL" was 2800 cents
    When order "ORD-CANCEL" is cancelled because "customer changed their mind"
    Then within 5 seconds the stock held for order "ORD-CANCEL" goes back to "SKU-CANCEL", leaving 50 available
    And within 5 seconds "bob@example.com" is credited for order "ORD-CANCEL" with a note mentioning "Refund"
    And within 5 seconds "bob@example.com" has 300 loyalty points
    And within 5 seconds the order report shows order "ORD-CANCEL" cancelled
    And once everything has settled, no shipment exists for order "ORD-CANCEL"
    And the order-fulfillment process of order "ORD-CANCEL" never dispatched anything
