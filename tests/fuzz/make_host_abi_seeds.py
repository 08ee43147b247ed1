#!/usr/bin/env python3
"""Write the seed inputs of fuzz_host_abi to corpus/fuzz_host_abi/.

Each seed is a list of records that the fixed guest in fuzz_host_abi.cpp
runs: one op byte, then the import's arguments as little-endian u32. The
guest copies the input to offset 0x8000 of its memory, so a pointer to
byte N of the input is 0x8000 + N. Run this again after changing the op
table in fuzz_host_abi.cpp.
"""

import os
import struct

RECORDS = 0x8000
MEMORY_END = 0x10000

# Op numbers and argument counts, in the order of the guest's table.
OPS = {
    "message_topic": (0, 2),
    "message_payload": (1, 2),
    "message_sender": (2, 2),
    "message_correlation": (3, 0),
    "reply": (4, 2),
    "send": (5, 6),
    "request": (6, 7),
    "publish": (7, 4),
    "broadcast": (8, 4),
    "subscribe": (9, 2),
    "unsubscribe": (10, 2),
    "log": (11, 3),
    "self_pid": (12, 0),
    "self_id": (13, 2),
    "now_ms": (14, 0),
    "monotonic_ns": (15, 0),
    "exit": (16, 1),
    "args_get": (17, 2),
    "args_sizes_get": (18, 2),
    "environ_get": (19, 2),
    "environ_sizes_get": (20, 2),
    "clock_res_get": (21, 2),
    "clock_time_get": (22, 3),
    "fd_write": (23, 4),
    "fd_fdstat_get": (24, 2),
    "random_get": (25, 2),
    "proc_exit": (26, 1),
    "sched_yield": (27, 0),
    "memory_grow": (28, 1),
}


def record(name, *args):
    op, count = OPS[name]
    if len(args) != count:
        raise ValueError(f"{name} takes {count} arguments, got {len(args)}")
    return bytes([op]) + b"".join(struct.pack("<I", a & 0xFFFFFFFF) for a in args)


def with_data(make_records, make_data):
    """Returns records followed by data. Both functions get the guest
    address of the data. The records must end with an exit, so that the
    guest never runs the data as records."""
    # A record's length does not depend on its argument values, so a first
    # pass with any address gives the length.
    data_at = RECORDS + len(b"".join(make_records(0)))
    return b"".join(make_records(data_at)) + make_data(data_at)


def every_op_in_range():
    # The first call copies the topic "fuzz" to `text`, which later calls
    # use as text. Results go to `out`.
    text = 0x100
    out = 0x400
    records = [
        record("message_topic", text, 4),
        record("message_payload", out, 64),
        record("message_sender", out, 64),
        record("message_correlation"),
        record("reply", text, 4),
        record("send", text, 4, text, 4, out, 16),
        record("request", text, 4, text, 4, out, 16, 1000),
        record("publish", text, 4, out, 8),
        record("broadcast", text, 4, out, 8),
        record("subscribe", text, 4),
        record("unsubscribe", text, 4),
        record("log", 1, text, 4),
        record("self_pid"),
        record("self_id", out, 32),
        record("now_ms"),
        record("monotonic_ns"),
        record("args_sizes_get", out, out + 4),
        record("args_get", out, out + 64),
        record("environ_sizes_get", out, out + 4),
        record("environ_get", out, out + 64),
        record("clock_res_get", 1, out),
        record("clock_time_get", 0, 1, out),
        record("fd_fdstat_get", 1, out),
        record("random_get", out, 32),
        record("sched_yield"),
    ]
    return b"".join(records)


def fd_write_lines():
    # Two iovecs, then the text they point at, all inside the input.
    return with_data(
        lambda data_at: [
            record("fd_write", 1, data_at, 2, 0x200),
            record("fd_write", 2, data_at + 8, 1, 0x200),
            record("exit", 0),
        ],
        lambda data_at: struct.pack("<IIII", data_at + 16, 6, data_at + 22, 5)
        + b"hello\nworld")


# Arguments for each import that takes a range, with "P" where the pointer
# goes and "L" where its length goes. Other arguments are valid values.
RANGES = {
    "message_topic": ("P", "L"),
    "message_payload": ("P", "L"),
    "message_sender": ("P", "L"),
    "reply": ("P", "L"),
    "send": ("P", "L", 0x100, 4, 0x100, 4),
    "request": (0x100, 4, "P", "L", 0x100, 4, 1000),
    "publish": (0x100, 4, "P", "L"),
    "broadcast": ("P", "L", 0x100, 4),
    "subscribe": ("P", "L"),
    "unsubscribe": ("P", "L"),
    "log": (1, "P", "L"),
    "self_id": ("P", "L"),
    "args_get": ("P", 0x100),
    "args_sizes_get": (0x100, "P"),
    "environ_get": (0x100, "P"),
    "environ_sizes_get": ("P", 0x100),
    "clock_res_get": (0, "P"),
    "clock_time_get": (1, 0, "P"),
    "fd_write": (1, "P", "L", 0x100),
    "fd_fdstat_get": (2, "P"),
    "random_get": ("P", "L"),
}


def range_seed(name, pointer, length):
    args = []
    for arg in RANGES[name]:
        if arg == "P":
            args.append(pointer)
        elif arg == "L":
            args.append(length)
        else:
            args.append(arg)
    # The topic "fuzz" at 0x100 makes the valid text arguments non-empty.
    return record("message_topic", 0x100, 4) + record(name, *args)


def past_end(name):
    # The range starts inside the first page and ends past it.
    return range_seed(name, MEMORY_END - 2, 64)


def wrapping(name):
    # Pointer plus length wraps past 2^32 to a small number.
    return range_seed(name, 0xFFFFFF00, 0x200)


def grown_memory():
    # Grows to two pages, then uses the second page, then grows past the
    # limit.
    return b"".join([
        record("memory_grow", 1),
        record("random_get", 0x18000, 64),
        record("message_payload", 0x1FFF0, 16),
        record("memory_grow", 1),
        record("random_get", 0x28000, 64),
    ])


def exits():
    return record("log", 2, 0x8000, 5) + record("exit", 3)


def proc_exits():
    return record("proc_exit", 0)


def invalid_text():
    # Topics and targets that are empty or not UTF-8.
    return with_data(lambda data_at: [
        record("subscribe", 0, 0),
        record("publish", 0, 0, 0, 0),
        record("send", data_at, 4, data_at, 4, 0, 0),
        record("subscribe", data_at + 4, 3),
        record("exit", 0),
    ], lambda data_at: b"\xff\xfe\xfd\xfcok\xc3")


SEEDS = {
    "every_op_in_range": every_op_in_range,
    "fd_write_lines": fd_write_lines,
    "grown_memory": grown_memory,
    "exits": exits,
    "proc_exits": proc_exits,
    "invalid_text": invalid_text,
}
for _name in RANGES:
    SEEDS[f"past_end_{_name}"] = lambda name=_name: past_end(name)
    SEEDS[f"wrapping_{_name}"] = lambda name=_name: wrapping(name)


def main():
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "corpus", "fuzz_host_abi")
    os.makedirs(folder, exist_ok=True)
    for name, make in SEEDS.items():
        with open(os.path.join(folder, name), "wb") as out:
            out.write(make())


if __name__ == "__main__":
    main()
