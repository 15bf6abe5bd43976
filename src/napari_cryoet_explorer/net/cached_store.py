"""zarr stores that read whole keys through the on-disk cache (:mod:`.cache`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable

from zarr.abc.store import ByteRequest, Store
from zarr.core.buffer import Buffer, BufferPrototype
from zarr.storage import WrapperStore

from .bounded import bounded_store
from .cache import DiskCache, SourceUnavailable, unavailable
from .cache_config import cache_for
from .cache_counts import count_read


class CachedStore(WrapperStore[Store]):
    """A read-only zarr store that reads whole keys through a :class:`DiskCache`.

    Byte-range requests (zarr v3 shards) go to the wrapped store, uncached.

    Parameters
    ----------
    store : zarr Store
        The network store (an ``FsspecStore``).
    url : str
        The store's root URL: the cache keys are ``<url>/<key>``, and hits and misses
        are counted under it (:func:`counts`).
    cache : DiskCache
        Where the files are kept.
    """

    def __init__(self, store: Store, *, url: str, cache: DiskCache) -> None:
        super().__init__(store)
        self.url = url.rstrip("/")
        self.cache = cache

    def _with_store(self, store: Store) -> CachedStore:
        return type(self)(store, url=self.url, cache=self.cache)

    def __repr__(self) -> str:
        return f"CachedStore({self.url!r}, cache={str(self.cache.root)!r})"

    async def _fetch(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None
    ) -> Buffer | None:
        try:
            return await self._store.get(key, prototype, byte_range)
        except Exception as exc:
            raise SourceUnavailable(unavailable(f"{self.url}/{key}", exc)) from exc

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        if byte_range is not None:
            return await self._fetch(key, prototype, byte_range)
        url = f"{self.url}/{key}"
        # Disk work off the event loop: zarr serves every thread's reads from one loop.
        found, data = await asyncio.to_thread(self.cache.lookup, url)
        if found:
            count_read(self.url, hit=True, size=len(data or b""))
            return None if data is None else prototype.buffer.from_bytes(data)
        value = await self._fetch(key, prototype, None)
        raw = None if value is None else value.to_bytes()
        self.cache.store_later(url, raw)
        count_read(self.url, hit=False, size=len(raw or b""))
        return value

    async def exists(self, key: str) -> bool:
        found, data = await asyncio.to_thread(self.cache.lookup, f"{self.url}/{key}")
        if found:
            return data is not None
        try:
            return await self._store.exists(key)
        except Exception as exc:
            raise SourceUnavailable(unavailable(f"{self.url}/{key}", exc)) from exc

    async def get_partial_values(
        self,
        prototype: BufferPrototype,
        key_ranges: Iterable[tuple[str, ByteRequest | None]],
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, byte_range) for key, byte_range in key_ranges]

    async def _get_many(
        self, requests: Iterable[tuple[str, BufferPrototype, ByteRequest | None]]
    ) -> AsyncGenerator[tuple[str, Buffer | None], None]:
        for key, prototype, byte_range in requests:
            yield key, await self.get(key, prototype, byte_range)


def cached_store(store: Store, url: str, cache: bool = True) -> Store:
    """``store`` reading through the default cache, or ``store`` itself when the URL is
    local or the cache is off; over http(s), on a filesystem whose reads are bounded in
    time, size and rate (:func:`.bounded.bounded_store`)."""
    store = bounded_store(store)
    disk = cache_for(url, cache)
    return store if disk is None else CachedStore(store, url=url, cache=disk)


__all__ = ["CachedStore", "cached_store"]
