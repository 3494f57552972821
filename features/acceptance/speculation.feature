Feature: Asking what would happen, without it happening
  Any request can be tried against the business as it stood at an earlier point, and every
  automatic step — holding stock, opening shipments, dispatching parcels, the reports — can be
  asked what it would do with given events. The answer is what would happen; nothing happens:
  nothing is recorded, nothing is sent on, no report changes.

  Scenario: A cancellation tried against an order's past
    Given the product "SKU-DRY" is stocked with 10 units
    And a walk-in customer ordered 1 "SKU-DRY" at 1000 cents each as order "ORD-DRY"
    And order "ORD-DRY" is paid in full and confirmed
    When a cancellation of order "ORD-DRY" is tried as of its event number 1
    Then the answer is that the order would be cancelled
    When a cancellation of order "ORD-DRY" is tried as of its event number 2
    Then the answer is that the order would be cancelled
    When a cancellation of order "ORD-DRY" is tried as of its event number 3
    Then the request is refused as refused by the current state with the message "Order is already completed"
    When a cancellation of order "ORD-DRY" is tried as of its event number 1, expecting its event number 3
    Then the request is turned away because the record moved on
    And order "ORD-DRY" still has 3 events

  Scenario: The shipping and stock steps say what they would do
    Given the product "SKU-SPEC" is stocked with 10 units
    And a walk-in customer ordered 3 "SKU-SPEC" at 1000 cents each as order "ORD-SPEC"
    And within 5 seconds 3 "SKU-SPEC" are held for order "ORD-SPEC", leaving 7 available
    When the shipping step is asked what it would do if order "ORD-SPEC" were completed
    Then it would open a shipment for order "ORD-SPEC"
    And no shipment exists for order "ORD-SPEC"
    When the stock step is asked what it would do for order "ORD-SPEC"
    Then it would hold 3 "SKU-SPEC" for order "ORD-SPEC"
    And within 5 seconds the stock report shows "SKU-SPEC" with 10 on hand, 3 reserved and 7 available
    And the stock report still shows "SKU-SPEC" with 7 available

  Scenario: The order-fulfillment process says it would dispatch, and dispatches nothing
    Given the product "SKU-PMS" is stocked with 10 units
    And a walk-in customer ordered 1 "SKU-PMS" at 1000 cents each as order "ORD-PMS"
    And within 5 seconds 1 "SKU-PMS" are held for order "ORD-PMS", leaving 9 available
    And order "ORD-PMS" is paid in full and confirmed
    And within 5 seconds a shipment is opened for order "ORD-PMS" under the order's own identity
    When the warehouse picks the shipment of order "ORD-PMS" as "picker-1"
    And within 5 seconds the order-fulfillment process of order "ORD-PMS" has taken up its payment and stock
    And the order-fulfillment process is asked what it would do if the shipment of order "ORD-PMS" were packed
    Then it would record the dispatch and ship the parcel of order "ORD-PMS"
    And the order-fulfillment process of order "ORD-PMS" has recorded no dispatch

  Scenario: A report says what it would show, and shows nothing new
    Given the product "SKU-PRJ" is stocked with 10 units
    And a walk-in customer ordered 1 "SKU-PRJ" at 1000 cents each as order "ORD-PRJ"
    When order "ORD-PRJ" is paid in full by "card", waiting for the reports
    And the order report is asked what it would answer for that payment
    Then it answers what the reply to the payment said
    And the order report of order "ORD-PRJ" is unchanged since the payment

  Scenario: An automatic step nobody defined cannot be asked
    When the "saga-nobody-wrote" step is asked what it would do
    Then the request is refused as not found with the message "No saga registered with name: saga-nobody-wrote"
