"""The reliability and security suite shares the integration harness (tests/integration/zw_harness.py)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for path in (HERE, os.path.join(os.path.dirname(HERE), "integration")):
    if path not in sys.path:
        sys.path.insert(0, path)
