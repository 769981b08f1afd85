"""Type stubs of the native module `scorediff._native` (the Rust core; the API is in
`scorediff/__init__.py`)."""

from os import PathLike
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import pyarrow as pa

__version__: str

Progress = Callable[[str, int, int], None]
Condition = Tuple[str, str, Sequence[Any]]

class NativeModel:
    @staticmethod
    def load(path: Union[str, PathLike[str]], backend: str = "cpu") -> "NativeModel": ...
    def save(self, path: Union[str, PathLike[str]]) -> None: ...
    def sample(
        self,
        n_rows: int,
        conditions: Sequence[Condition] = ...,
        seed: Optional[int] = None,
        progress: Optional[Progress] = None,
    ) -> pa.Table: ...
    def impute(
        self,
        data: pa.Table,
        draws: int = 30,
        seed: Optional[int] = None,
        progress: Optional[Progress] = None,
    ) -> pa.Table: ...
    def schema_json(self) -> str: ...
    def config_json(self) -> str: ...
    def fit_report_json(self) -> str: ...
    @property
    def n_train_rows(self) -> int: ...
    @property
    def backend(self) -> str: ...
    @property
    def warnings(self) -> List[str]: ...

class NativeReport:
    def json(self) -> str: ...
    def summary(self) -> str: ...
    def html(self, plots: bool = True) -> str: ...

def fit_table(
    data: pa.Table,
    *,
    seed: int = 0,
    config: Optional[str] = None,
    max_steps: Optional[int] = None,
    max_seconds: Optional[float] = None,
    target: Optional[str] = None,
    schema: Optional[str] = None,
    backend: str = "cpu",
    progress: Optional[Progress] = None,
) -> NativeModel: ...
def infer_schema(data: pa.Table, target: Optional[str] = None) -> str: ...
def evaluate(
    real: pa.Table,
    synthetic: pa.Table,
    *,
    test: Optional[pa.Table] = None,
    holdout: Optional[pa.Table] = None,
    target: Optional[str] = None,
    schema: Optional[str] = None,
    seed: int = 0,
    progress: Optional[Progress] = None,
) -> NativeReport: ...
def default_config() -> str: ...
