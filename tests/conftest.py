import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import settings

# No per-example deadline: CI machines and a loaded laptop run examples at very different speeds,
# and a slow example is not a wrong one (the benchmarks measure speed).
settings.register_profile("imsrecon", deadline=None)
settings.load_profile("imsrecon")
