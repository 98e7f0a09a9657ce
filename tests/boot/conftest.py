# SPDX-License-Identifier: MIT
import sys
from pathlib import Path

# Make tests/boot/qemu.py importable as "qemu".
sys.path.insert(0, str(Path(__file__).resolve().parent))
