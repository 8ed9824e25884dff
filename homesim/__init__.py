"""homesim: an agent-based simulation of homelessness flows in Danish municipalities.

``homesim`` is the import name to use. It is the very package whose source folder is
``sim/``: ``import homesim`` gives the ``sim`` package object and ``import homesim.model``
the module object ``sim.model``, so classes, pickles and ``isinstance`` checks agree
whichever name imported them. ``sim`` stays importable as a deprecated alias (a
:class:`DeprecationWarning` when code outside the package imports it by that name).

The public API is listed in the package docstring (``help(homesim)``)::

    import homesim
    scenario = homesim.load_scenario("randers_baseline")
    model = homesim.HomelessnessModel(scenario, rng=1)
    model.run(52)
"""

import sys
from importlib import import_module
from importlib.machinery import ModuleSpec
from importlib.util import find_spec, spec_from_file_location
from pathlib import Path
from types import CodeType, ModuleType

#: The source package every ``homesim.X`` name stands for.
SOURCE = "sim"


class _SameModule:
    """A loader that hands back the already importable ``sim.X`` for ``homesim.X``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.spec: ModuleSpec | None = None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        """The module ``sim.X`` itself (imported now if it is not yet)."""
        module = import_module(self.source)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run; put back the module's own spec, which the import system replaced."""
        module.__spec__ = self.spec

    def get_code(self, fullname: str) -> CodeType | None:
        """The code of ``sim.X``, for ``python -m homesim.X`` (which runs it as ``__main__``)."""
        spec = find_spec(self.source)
        get_code = getattr(spec.loader, "get_code", None) if spec is not None else None
        return None if get_code is None else get_code(self.source)


class _Alias:
    """A meta path finder mapping ``homesim.X`` to the module ``sim.X`` (one object, two names)."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> ModuleSpec | None:
        """The spec of ``homesim.X``: the same module as ``sim.X``, or None for other names."""
        if not fullname.startswith(__name__ + "."):
            return None
        if fullname == f"{__name__}.__main__":  # ``python -m homesim``: this folder's own file
            return spec_from_file_location(fullname, Path(__file__).with_name("__main__.py"))
        source = SOURCE + fullname[len(__name__) :]
        real = find_spec(source)
        if real is None:
            return None
        package = real.submodule_search_locations is not None
        return ModuleSpec(fullname, _SameModule(source), origin=real.origin, is_package=package)


if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Alias())

sys.modules[__name__] = import_module(SOURCE)
