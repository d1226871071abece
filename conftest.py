"""Put the repository root on sys.path so pages (and AppTest) can import makemore and ui."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
