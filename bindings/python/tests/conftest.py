import itertools
import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
_counter = itertools.count()


@pytest.fixture
def region_name():
    """A unique region name, unlinked after the test whatever happened."""
    import zerial
    name = "zr_py_%d_%d" % (os.getpid(), next(_counter))
    yield name
    try:
        zerial.shm.unlink(name)
    except zerial.Error:
        pass


@pytest.fixture
def shm_tool():
    tool = os.environ.get("ZR_SHM_TOOL")
    if not tool:
        build = os.environ.get("ZR_BUILD_DIR")
        cand = os.path.join(build, "bindings", "python", "zr_shm_tool") if build else None
        tool = cand if cand and os.path.exists(cand) else shutil.which("zr_shm_tool")
    if not tool or not os.path.exists(tool):
        pytest.skip("zr_shm_tool (built by CMake) not available")
    return tool


@pytest.fixture
def python_env():
    """Environment for a child /usr/bin/python3 that imports the same zerial."""
    env = dict(os.environ)
    import zerial
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(zerial.__file__)))
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    return env
