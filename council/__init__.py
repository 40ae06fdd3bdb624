"""Council scoring: savings rules, love incentives, grid budgets and scoring sheets that post
points into passbooks once a second council member approves them.

Uses the ledger and the registry through their public APIs; knows nothing of HTTP.
"""
