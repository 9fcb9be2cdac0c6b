"""redis.asyncio clients, with the hiredis parser and with the pure-Python one."""

import asyncio

import pytest
import redis
import redis.asyncio as aioredis
from redis.asyncio.connection import ConnectionPool, HiredisParser, PythonParser

PARSERS = [pytest.param(HiredisParser, id="hiredis"), pytest.param(PythonParser, id="python")]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def make_client(port, parser, **kw):
    pool = ConnectionPool(host="127.0.0.1", port=port, parser_class=parser, **kw)
    return aioredis.Redis(connection_pool=pool)


def test_hiredis_is_the_default():
    import hiredis  # noqa: F401  - installed from python3-hiredis
    from redis.asyncio.connection import DefaultParser
    assert DefaultParser is HiredisParser


@pytest.mark.parametrize("parser", PARSERS)
def test_basic_commands(server, r, parser):
    async def main():
        c = make_client(server.port, parser)
        try:
            assert await c.ping() is True
            assert await c.set("k", b"v\x00\r\n") is True
            assert await c.get("k") == b"v\x00\r\n"
            assert await c.get("missing") is None
            assert await c.incr("n") == 1
            assert await c.incrby("n", 41) == 42
            assert await c.incrbyfloat("f", 1.5) == 1.5
            assert await c.mset({"a": 1, "b": 2}) is True
            assert await c.mget("a", "b", "zz") == [b"1", b"2", None]
            assert await c.set("t", "v", ex=100) is True
            assert 99 <= await c.ttl("t") <= 100
            assert await c.exists("a", "b", "zz") == 2
            assert await c.delete("a", "b") == 2
            assert await c.dbsize() == 4
            with pytest.raises(redis.ResponseError, match="value is not an integer"):
                await c.incr("k")
            with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
                await c.execute_command("GET")
            conn = await c.connection_pool.get_connection("PING")
            assert isinstance(conn._parser, parser)
            await c.connection_pool.release(conn)
        finally:
            await c.close()
            await c.connection_pool.disconnect()

    run(main())


@pytest.mark.parametrize("parser", PARSERS)
def test_concurrent_tasks(server, r, parser, scale):
    n_tasks, n_ops = 20, scale(200)

    async def worker(c, i):
        for j in range(n_ops):
            await c.set("t%d:%d" % (i, j), j)
            await c.incr("total")
        return i

    async def main():
        c = make_client(server.port, parser)
        try:
            done = await asyncio.gather(*(worker(c, i) for i in range(n_tasks)))
            assert sorted(done) == list(range(n_tasks))
            assert int(await c.get("total")) == n_tasks * n_ops
            assert await c.dbsize() == n_tasks * n_ops + 1
        finally:
            await c.close()
            await c.connection_pool.disconnect()

    run(main())


@pytest.mark.parametrize("parser", PARSERS)
def test_pipeline(server, r, parser, scale):
    n = scale(5000)

    async def main():
        c = make_client(server.port, parser)
        try:
            async with c.pipeline(transaction=False) as p:
                for i in range(n):
                    p.set("p%d" % i, "x" * (i % 50))
                    p.get("p%d" % i)
                res = await p.execute()
            assert len(res) == 2 * n
            assert all(v is True for v in res[0::2])
            assert res[1::2] == [b"x" * (i % 50) for i in range(n)]
        finally:
            await c.close()
            await c.connection_pool.disconnect()

    run(main())


@pytest.mark.parametrize("parser", PARSERS)
def test_large_values(server, r, parser, scale):
    val = bytes(range(256)) * scale(8192)      # 2 MiB

    async def main():
        c = make_client(server.port, parser)
        try:
            await c.set("big", val)
            assert await c.get("big") == val
            assert await c.strlen("big") == len(val)
            assert await c.getrange("big", 256, 511) == bytes(range(256))
        finally:
            await c.close()
            await c.connection_pool.disconnect()

    run(main())


def test_from_url_decode_responses(server, r):
    async def main():
        c = aioredis.from_url("redis://127.0.0.1:%d/2" % server.port, decode_responses=True)
        try:
            await c.set("my_key", "async_value")
            assert await c.get("my_key") == "async_value"
            info = await c.info("keyspace")
            assert info["db2"]["keys"] == 1
            cfg = await c.config_get("databases")
            assert cfg == {"databases": "16"}
            assert await c.client_getname() is None
            assert await c.client_setname("aio") is True
            assert await c.client_getname() == "aio"
        finally:
            await c.close()
            await c.connection_pool.disconnect()

    run(main())


def test_many_async_connections(server, r, scale):
    n = scale(100)

    async def one(i):
        c = aioredis.Redis(host="127.0.0.1", port=server.port, single_connection_client=True)
        try:
            await c.set("c%d" % i, i)
            return int(await c.get("c%d" % i))
        finally:
            await c.close()

    async def main():
        return await asyncio.gather(*(one(i) for i in range(n)))

    assert run(main()) == list(range(n))
