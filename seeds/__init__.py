"""The demo data set, loaded through the services and idempotent: loading it twice changes nothing."""

from seeds.demo import DEMO_TOKENS, load_demo

__all__ = ["DEMO_TOKENS", "load_demo"]
