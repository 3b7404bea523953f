"""vizd_client -- a standard-library Python client for vizd with torch.utils.tensorboard's API.

    from vizd_client import SummaryWriter     # instead of: from torch.utils.tensorboard import SummaryWriter

Modules: writer.py (SummaryWriter: checking and encoding every add_*), courier.py (the background thread
that alone talks to vizd), outbox.py (the ordered queue: memory, then the spool), spool.py (the spool
file format), sync.py (python -m vizd_client sync), transport.py (HTTP, retries), errors.py (VizdError,
VizdConnectionError, VizdWarning), values.py (numbers, lists, arrays and tensors to what vizd takes),
images.py (PNG encoding), graph.py (a PyTorch model's calls as vizd's graph JSON).
numpy and torch are optional: imported only when a value is an array or a tensor.
"""

from .errors import VizdConnectionError, VizdError, VizdWarning
from .writer import SummaryWriter

__version__ = "0.1.0"
__all__ = ["SummaryWriter", "VizdError", "VizdConnectionError", "VizdWarning", "__version__"]
