"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test bootstraps pip in each of its sanity venvs by downloading
get-pip-<version>.py from a host these machines cannot reach. It first looks
for ~/.ansible/test/cache/get_pip_<version>.py; tools/bootstrap.sh copies this
file there. It installs pip with ensurepip, then the packages ansible-test asks
for, from the configured package index.
"""

import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
if any(not a.startswith("-") for a in args):
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--upgrade"] + args)
