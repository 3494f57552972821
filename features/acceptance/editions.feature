Feature: What-if editions of the business
  An edition is a named copy of the business that branches from the real one at a chosen point.
  Requests sent to it see the real history up to that point and their own changes after it; what
  they set in motion stays in the edition, and nothing done there ever shows in the real business.
  Editions can be listed, with how much happened in them, and thrown away.

  Scenario: An edition takes a payment the real order never received, then is thrown away
    Given the product "SKU-ED" is stocked with 10 units
    And a walk-in customer ordered 2 "SKU-ED" at 1000 cents each as order "ORD-ED"
    When an edition "what-if" of the business is created, branching after the order's first event
    And order "ORD-ED" is paid in full by "card" in the edition "what-if"
    Then in the edition "what-if" order "ORD-ED" has the events "OrderCreated, PaymentSubmitted"
    And order "ORD-ED" itself still has only the events "OrderCreated"
    And the editions list shows "what-if" with 1 "order" event
    When the edition "what-if" is thrown away
    Then the editions list no longer shows "what-if"
    And reading order "ORD-ED" in the edition "what-if" is refused as not found
    And order "ORD-ED" itself still has only the events "OrderCreated"

  Scenario: What an edition's order sets in motion stays in the edition
    Given the product "SKU-EDR" is stocked with 10 units
    And an edition "rehearsal" of the business
    When a walk-in customer orders 3 "SKU-EDR" at 500 cents each as order "ORD-EDR" in the edition "rehearsal"
    Then within 5 seconds in the edition "rehearsal" 3 "SKU-EDR" are held for order "ORD-EDR", leaving 7 available
    And within 5 seconds the stock report of the edition "rehearsal" shows "SKU-EDR" with 10 on hand, 3 reserved and 7 available
    And no stock of "SKU-EDR" is held in the real business
    And the real stock report shows "SKU-EDR" with 10 on hand, 0 reserved and 10 available
    When the edition "rehearsal" is thrown away
    Then within 5 seconds the stock report of the edition "rehearsal" is gone

  Scenario: Editions are named once, must exist, and the real business cannot be thrown away
    Given an edition "twice" of the business
    When an edition "twice" of the business is created again
    Then the request is refused as already existing, naming the edition "twice"
    Given a walk-in customer ordered 1 "SKU-EDN" at 100 cents each as order "ORD-EDN"
    When order "ORD-EDN" is paid in full by "card" in the never-created edition "nowhere"
    Then the request is refused as unknown, naming the edition "nowhere"
    When the real business is to be thrown away
    Then the request is refused as invalid with the message "Cannot delete main timeline events"
