"""The demo data set: a deterministic, realistic call centre for trying hotline and for benchmarks."""

from hotline.core.demo.load import DemoReport, load_demo

__all__ = ["DemoReport", "load_demo"]
