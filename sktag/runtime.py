"""How sktag runs its networks on this machine, for scripts that measure or reproduce it.

The few process-level settings and device facts that sktag's transformers
apply themselves, public so that benchmarks and other code outside the
package can apply and report the same (the rest stays internal):

* :func:`autocast`: the bf16 autocast context sktag runs a network under (a no-op for fp32);
* :func:`cpu_has_native_bf16`: whether this CPU computes bf16 natively (``avx512_bf16`` or ``amx_bf16``);
* :func:`decode_workers` and :data:`MAX_DECODE_WORKERS`: how many threads decode clips for a network on a device;
* :func:`settle_glibc_malloc`: the malloc thresholds sktag sets before it runs a network on the CPU.
"""

from __future__ import annotations

from ._devices import MAX_DECODE_WORKERS, autocast, cpu_has_native_bf16, decode_workers
from ._runtime import settle_glibc_malloc

__all__ = ["MAX_DECODE_WORKERS", "autocast", "cpu_has_native_bf16", "decode_workers", "settle_glibc_malloc"]
