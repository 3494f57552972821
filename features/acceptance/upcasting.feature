@store
Feature: Records of an earlier release read in today's shape
  The first release recorded a product's initial stock without a low-stock threshold. Those
  records stay as they were written, yet everything that reads them — the inventory area itself,
  history reads, the stock report and speculative questions — sees today's record: same product,
  same quantity, no threshold.

  Scenario: Stock recorded by the first release is held, reported and asked about like any other
    Given the product "SKU-OLD" was stocked with 40 units by the first release
    Then the history of "SKU-OLD" shows today's stock record: 40 units and no low-stock threshold
    And within 5 seconds the stock report shows "SKU-OLD" with 40 on hand, 0 reserved and 40 available
    When a walk-in customer orders 3 "SKU-OLD" at 500 cents each as order "ORD-OLD", waiting for everything
    Then 3 "SKU-OLD" are already held for order "ORD-OLD", leaving 37 available
    When the stock report is asked what it would show for "SKU-OLD"
    Then it would show 40 on hand, 3 reserved and 37 available
