Feature: The system rides out crashes, lost messages and garbage
  Nothing a caller was told is recorded is ever lost, and no failure makes anything happen
  twice.

  Scenario: A garbled payment is rejected and the order service carries on
    Given the product "SKU-GARBLED" is stocked with 10 units
    And a walk-in customer ordered 1 "SKU-GARBLED" at 900 cents each as order "ORD-GARBLED"
    When a payment for order "ORD-GARBLED" arrives garbled as the bytes FF FE FD 00 DE AD
    Then the request is rejected as invalid with a message starting "failed to decode"
    And order "ORD-GARBLED" has 1 event
    When order "ORD-GARBLED" is paid in full by "card"
    Then order "ORD-GARBLED" has 2 events

  @embedded
  Scenario: The order service crashes and is brought back
    Given the product "SKU-CRASH" is stocked with 10 units
    And a walk-in customer ordered 1 "SKU-CRASH" at 800 cents each as order "ORD-CRASH"
    When the order service crashes
    And order "ORD-CRASH" is paid in full by "card" straight away
    Then the payment was either refused as unavailable or recorded
    And within 10 seconds the order service is running again
    And order "ORD-CRASH" still has everything it was told was recorded
    When order "ORD-CRASH" takes its next step
    Then that step is recorded right after the order's previous last event

  @embedded
  Scenario: The message announcing a completed order is lost on its way to shipping
    Given the product "SKU-LOST" is stocked with 10 units
    And a customer "lee@example.com" named "Lee"
    And the shipping workflow will not hear about the completion of order "ORD-LOST"
    When "lee@example.com" orders 1 "SKU-LOST" at 2000 cents each as order "ORD-LOST"
    And order "ORD-LOST" is paid in full and confirmed
    Then within 10 seconds a shipment is opened for order "ORD-LOST" under the order's own identity
    And the announcement of the completion really was lost
    And once everything has settled, exactly 1 shipment was opened for order "ORD-LOST"

  Scenario: The program that holds stock for orders crashes while orders stream in
    Given the product "SKU-STREAM" is stocked with 100 units
    When 8 walk-in orders of 1 "SKU-STREAM" arrive as "STREAM", and the program that holds stock is killed after the 3rd
    Then within 20 seconds the program that holds stock is running again
    And within 20 seconds every "STREAM" order has exactly 1 "SKU-STREAM" held
    And within 10 seconds the stock report shows "SKU-STREAM" with 100 on hand, 8 reserved and 92 available

  Scenario: The order-fulfillment process crashes while parcels are packed
    Given the product "SKU-PARCEL" is stocked with 100 units
    And 5 walk-in orders of 1 "SKU-PARCEL" as "PARCEL", paid, confirmed and with their shipments opened
    When the warehouse picks and packs every "PARCEL" shipment, and the order-fulfillment program is killed after the 2nd
    Then within 20 seconds the order-fulfillment program is running again
    And within 20 seconds every "PARCEL" shipment has left exactly once
    And within 10 seconds the stock report shows "SKU-PARCEL" with 95 on hand, 0 reserved and 95 available
