Feature: A caller chooses how much of the aftermath to wait for
  By default a request returns as soon as it is recorded. A caller may instead wait for the
  reports to be updated, or for everything the request sets in motion to finish.

  Scenario: Waiting for the reports returns the order summary
    Given the product "SKU-SIMPLE" is stocked with 10 units
    And a customer "sue@example.com" named "Sue"
    When "sue@example.com" orders 2 "SKU-SIMPLE" at 1250 cents each as order "ORD-SIMPLE", waiting for the reports
    Then the reply includes the order summary report
    When order "ORD-SIMPLE" is paid in full by "card"
    And the payment for order "ORD-SIMPLE" is confirmed with reference "PAY-S", waiting for the reports
    Then the reply includes a receipt for order "ORD-SIMPLE" totalling 2500 cents and earning 25 points

  Scenario: Waiting for everything the order sets in motion
    Given the product "SKU-CASCADE" is stocked with 20 units
    When a walk-in customer orders 3 "SKU-CASCADE" at 400 cents each as order "ORD-CASCADE", waiting for everything
    Then 3 "SKU-CASCADE" are already held for order "ORD-CASCADE", leaving 17 available
    And the stock report already shows "SKU-CASCADE" with 20 on hand, 3 reserved and 17 available
