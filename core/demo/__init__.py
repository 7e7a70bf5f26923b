"""The demo data set: a deterministic, realistic call centre for trying hotline and for benchmarks."""

from hotline.core.demo.load import DemoReport, load_demo
from hotline.core.demo.replace import Replacement, check_replacement

__all__ = ["DemoReport", "Replacement", "check_replacement", "load_demo"]
