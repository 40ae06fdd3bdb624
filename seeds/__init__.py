"""The demo data set, loaded through the services and idempotent: loading it twice changes nothing.
It is loaded only into empty books or the demo's own (:func:`demo_refusal` says why not)."""

from seeds.demo import (
    DEMO_ORG_UNITS,
    DEMO_PIN,
    DEMO_TOKENS,
    DemoRefused,
    demo_refusal,
    give_demo_pin,
    load_demo,
)

__all__ = [
    "DEMO_ORG_UNITS",
    "DEMO_PIN",
    "DEMO_TOKENS",
    "DemoRefused",
    "demo_refusal",
    "give_demo_pin",
    "load_demo",
]
