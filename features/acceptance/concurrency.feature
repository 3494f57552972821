Feature: Simultaneous requests never corrupt a history
  Two requests written against the same version of a record cannot both win. The loser is
  told the record moved on and can try again against the new version.

  Scenario: Deliveries racing on the same stock version
    Given the product "SKU-RACE" is stocked with 0 units
    When 10 deliveries of 5 units each arrive for "SKU-RACE" at once, all written against its current version
    Then exactly 1 of the deliveries is accepted
    And the other 9 are turned away because the stock changed meanwhile
    And the stock history of "SKU-RACE" is numbered without gaps or repeats
    And the stock history of "SKU-RACE" has 2 events

  Scenario: Deliveries that try again after losing a race all land
    Given the product "SKU-RETRY" is stocked with 0 units
    When 10 deliveries of 1 to 10 units arrive for "SKU-RETRY" at once, each trying again on the version it is told about
    Then all 10 deliveries are accepted
    And the stock history of "SKU-RETRY" is numbered without gaps or repeats
    And the stock history of "SKU-RETRY" has 11 events
    And within 5 seconds the stock report shows "SKU-RETRY" with 55 on hand, 0 reserved and 55 available

  Scenario: Discounts racing on one order
    Given the product "SKU-DISC" is stocked with 10 units
    And a walk-in customer ordered 2 "SKU-DISC" at 1000 cents each as order "ORD-DISC"
    When 5 loyalty discounts of 100 points worth 100 cents arrive for order "ORD-DISC" at once
    Then at most 1 of the discounts is accepted
    And every other discount is turned away as outdated or already applied
    And order "ORD-DISC" has at most 1 loyalty discount
