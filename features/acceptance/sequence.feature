Feature: A request must be written against the version it expects
  Every request states how many events it expects its record to have. A request that expects
  a different number is turned away, told the real state, and changes nothing.

  Scenario: Replaying a request that was already accepted
    Given the product "SKU-SEQ" is stocked with 10 units
    And a delivery of 5 units of "SKU-SEQ" was accepted
    When the same delivery is sent again, expecting the version it was first written against
    Then the request is turned away because the record moved on
    And the refusal carries the current history of 2 events
    And the stock history of "SKU-SEQ" has 2 events

  Scenario: Expecting a history that a new record does not have
    When stock for a new product "SKU-GHOST" is set up expecting 100 earlier events
    Then the request is turned away because the record moved on
    And the refusal mentions 100 and 0
    And the stock history of "SKU-GHOST" has 0 events

  Scenario: A new record starts at the beginning, and later requests follow on
    When stock for a new product "SKU-FRESH" is set up expecting 0 earlier events
    Then the request is accepted
    When a delivery of 5 units of "SKU-FRESH" arrives expecting 1 earlier event
    Then the request is accepted
    And the stock history of "SKU-FRESH" has 2 events
