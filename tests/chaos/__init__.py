"""The bank test with faults: the real service under concurrent load, killed and restarted.

After Jepsen's "bank" workload. ``python -m tests.chaos [--short] --database sqlite|postgresql``
starts ``passbook serve`` as a subprocess on a scratch database, loads a small world through the
domain functions, drives the service over HTTP with 64 concurrent clients (scoring sheets
drafted and approved, redemptions, cancels, voucher consumes, balance, statement and
trial-balance reads), kills it with SIGKILL a few times meanwhile, and then checks that the
books hold what the clients were told, exactly once:

* every **ok** operation is in the books exactly once, no **failed** one is;
* every **unknown** one (timeout, dropped connection, 5xx) is there at most once, and
  retrying it with its key answers the stored result and adds nothing;
* no passbook below zero, no reward sold past its stock or limits, no voucher used twice;
* every read taken during the run matches the books at some moment;
* ``passbook verify`` passes.

It prints its figures and exits 1 if any anomaly was found. It is not collected by pytest
(no ``test_*`` modules here) and never touches the configured database.

Modules: ``_world`` (scratch database and the world loaded into it), ``_service`` (the
subprocess and the faults), ``_workload`` (the clients and the operation log), ``_checks``
(what must hold afterwards), ``_run`` (the whole run and its figures).
"""
