"""Build the zerial Python package offline with Debian's setuptools:

    pip install --no-build-isolation bindings/python

By default the extension is compiled together with the library's C sources (../../src), so no
prior CMake build is needed. To link a library built by CMake instead, point ZERIAL_LIB_DIR at
the folder holding libzerial.a from a build *without* sanitizers (e.g. build/release):

    ZERIAL_LIB_DIR=build/release pip install --no-build-isolation bindings/python
"""
import glob
import os
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def _cmake_deps():
    """The library's pkg-config dependencies, as the top-level CMakeLists.txt lists them."""
    import re
    try:
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            m = re.search(r"set\(ZR_PKG_DEPS([^)]*)\)", f.read())
        if m:
            return m.group(1).split()
    except OSError:
        pass
    return ["liblz4", "libzstd", "zlib", "libdeflate", "libxxhash", "jansson", "sqlite3", "libcrypto"]


DEPS = _cmake_deps()


def pkg_config(*args):
    try:
        out = subprocess.check_output(["pkg-config", *args, *DEPS], text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.split()


def deps():
    libs = pkg_config("--libs")
    if libs is None:  # pkg-config missing: the Debian library names
        libs = ["-llz4", "-lzstd", "-lz", "-ldeflate", "-lxxhash", "-ljansson", "-lsqlite3", "-lcrypto"]
    cflags = pkg_config("--cflags") or []
    return ([f[2:] for f in cflags if f.startswith("-I")], [f[2:] for f in libs if f.startswith("-l")],
            [f[2:] for f in libs if f.startswith("-L")])


includes, libraries, library_dirs = deps()
sources = [os.path.join("src", "_zerial.c")]
extra_objects = []
lib_dir = os.environ.get("ZERIAL_LIB_DIR")
if lib_dir:
    extra_objects.append(os.path.join(os.path.abspath(lib_dir), "libzerial.a"))
else:
    sources += sorted(os.path.relpath(p, HERE)
                      for p in glob.glob(os.path.join(ROOT, "src", "**", "*.c"), recursive=True))

setup(
    name="zerial",
    version="0.1.0",
    description="Move data between processes and languages fast: binary, Arrow, NumPy, shared memory",
    packages=["zerial"],
    python_requires=">=3.9",
    install_requires=["numpy"],
    ext_modules=[Extension(
        "zerial._zerial",
        sources=sources,
        depends=[os.path.join("src", "binload.h")],
        include_dirs=[os.path.join(ROOT, "include"), os.path.join(ROOT, "src")] + includes,
        define_macros=[("_GNU_SOURCE", None)],
        extra_compile_args=["-std=gnu11", "-fvisibility=hidden", "-Wno-missing-field-initializers"],
        libraries=libraries + ["m", "rt", "pthread"],
        library_dirs=library_dirs,
        extra_objects=extra_objects,
    )],
)
