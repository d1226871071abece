"""Process-wide settings: a full garbage collection now and then frees what closed tabs left."""
import gc
import threading
import time
import weakref

from ui import process_tuning
from ui.process_tuning import Collector


def test_the_collector_frees_reference_cycles_that_python_left():
    class Network:  # a departed session's run: it and its trainer refer to each other
        pass

    run = Network()
    run.itself = run
    left = weakref.ref(run)
    del run
    gc.disable()  # Python's own collection, which a server full of torch objects seldom reaches
    collector = Collector(seconds=0.05)
    try:
        assert left() is not None
        collector.start()
        deadline = time.monotonic() + 5
        while left() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left() is None
    finally:
        collector.stopped.set()
        gc.enable()
    collector.join(timeout=5)
    assert not collector.is_alive()


def test_the_server_process_runs_one_collector_a_minute():
    process_tuning.tune_process()
    process_tuning.tune_process()  # every page calls it
    collectors = [t for t in threading.enumerate() if isinstance(t, Collector)]
    assert len(collectors) == 1 and collectors[0].daemon
    assert collectors[0].seconds == process_tuning.COLLECT_SECONDS == 60.0
