"""Exit non-zero, saying which, unless the PostgreSQL and Redis servers given answer.

Usage: check_servers.py postgresql+asyncpg://user@host:5432/db redis://host:6379/0
"""

from __future__ import annotations

import asyncio
import sys


async def _postgres(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database or "postgres",
        timeout=5,
    )
    await connection.close()


async def _redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=5)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def main(postgres_url: str, redis_url: str) -> int:
    failed = 0
    for name, check, url in (("PostgreSQL", _postgres, postgres_url), ("Redis", _redis, redis_url)):
        try:
            await check(url)
        except Exception as error:
            print(
                f"{name} at {url} is unreachable: {type(error).__name__}: {error}", file=sys.stderr
            )
            failed = 1
        else:
            print(f"{name} at {url}: ok")
    return failed


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
