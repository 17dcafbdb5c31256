#!/usr/bin/env python3
"""Reads Quern's shards the way their consumers do, written from the published formats:

- llm.c / nanoGPT (karpathy/llm.c dev/data/data_common.py, write_datafile): 256 int32 header
  slots (magic, version, token count), then uint16 (magic 20240520, version 1) or uint32 (magic
  20240801, version 7) tokens, read with np.memmap(path, dtype, mode="r", offset=1024).
- Megatron-LM indexed dataset (megatron/core/datasets/indexed_dataset.py, _IndexReader):
  b"MMIDIDX\\x00\\x00", <Q version 1, <B dtype code, <Q sequence count, <Q document count, then
  int32 lengths, int64 byte pointers, int64 document indices; tokens in PREFIX.bin.
  With --megatron-core, megatron.core.datasets.indexed_dataset.IndexedDataset reads them too.

Prints one line per shard: file, tokens, SHA-256 of the token bytes, first and last tokens (and
for Megatron the documents); then checks every file's XXH64 against DIR/manifest.json with the
pure-Python XXH64 below (written from the xxHash specification). Usage:
shard_reader.py DIR [--megatron-core]
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np

LLMC = {(20240520, 1): np.uint16, (20240801, 7): np.uint32}
MEGATRON_DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64,
                   6: np.float64, 7: np.float32, 8: np.uint16}


M64 = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _round(acc, lane):
    return (_rotl((acc + lane * P2) & M64, 31) * P1) & M64


def xxh64(data, seed=0):
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        lanes = np.frombuffer(data[: n - n % 32], dtype="<u8").tolist()
        for j in range(0, len(lanes), 4):
            v = [_round(v[k], lanes[j + k]) for k in range(4)]
        i = n - n % 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M64
        for x in v:
            h = (((h ^ _round(0, x)) * P1) + P4) & M64
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while i + 8 <= n:
        h ^= _round(0, int.from_bytes(data[i:i + 8], "little"))
        h = (_rotl(h, 27) * P1 + P4) & M64
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i:i + 4], "little") * P1) & M64
        h = (_rotl(h, 23) * P2 + P3) & M64
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M64
        h = (_rotl(h, 11) * P1) & M64
        i += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    h ^= h >> 32
    return h


def read_llmc(path):
    header = np.fromfile(path, dtype="<i4", count=256)
    key = (int(header[0]), int(header[1]))
    if key not in LLMC:
        raise ValueError(f"{path}: magic {key[0]} version {key[1]} is not llm.c's")
    tokens = np.memmap(path, dtype=LLMC[key], mode="r", offset=1024)
    if len(tokens) != int(header[2]):
        raise ValueError(f"{path}: header says {header[2]} tokens, file holds {len(tokens)}")
    return tokens


def read_megatron(prefix):
    with open(prefix + ".idx", "rb") as f:
        if f.read(9) != b"MMIDIDX\x00\x00":
            raise ValueError(f"{prefix}.idx: bad header")
        (version,) = struct.unpack("<Q", f.read(8))
        if version != 1:
            raise ValueError(f"{prefix}.idx: version {version}")
        (code,) = struct.unpack("<B", f.read(1))
        (sequences,) = struct.unpack("<Q", f.read(8))
        (documents,) = struct.unpack("<Q", f.read(8))
        offset = f.tell()
    index = np.memmap(prefix + ".idx", mode="r", dtype=np.uint8)
    lengths = np.frombuffer(index, dtype=np.int32, count=sequences, offset=offset)
    pointers = np.frombuffer(index, dtype=np.int64, count=sequences, offset=offset + lengths.nbytes)
    doc_index = np.frombuffer(index, dtype=np.int64, count=documents,
                              offset=offset + lengths.nbytes + pointers.nbytes)
    dtype = MEGATRON_DTYPES[code]
    data = np.memmap(prefix + ".bin", mode="r", dtype=np.uint8)
    sequences = [np.frombuffer(data, dtype=dtype, count=int(n), offset=int(p)) for p, n in zip(pointers, lengths)]
    return sequences, doc_index


def describe(name, tokens):
    tokens = np.asarray(tokens)
    digest = hashlib.sha256(tokens.astype(tokens.dtype.newbyteorder("<")).tobytes()).hexdigest()
    first = " ".join(str(int(t)) for t in tokens[:4])
    last = " ".join(str(int(t)) for t in tokens[-4:])
    return f"{name} tokens={len(tokens)} sha256={digest} first=[{first}] last=[{last}]"


def main():
    folder = sys.argv[1]
    use_core = "--megatron-core" in sys.argv[2:]
    names = sorted(os.listdir(folder))
    for name in names:
        if name.endswith(".bin") and "_" in name:
            print(describe(name, read_llmc(os.path.join(folder, name))))
    for name in names:
        if name.endswith(".idx"):
            prefix = os.path.join(folder, name[:-4])
            sequences, doc_index = read_megatron(prefix)
            joined = np.concatenate(sequences) if sequences else np.zeros(0, dtype=np.uint16)
            print(describe(name[:-4] + ".bin", joined) + f" documents={len(doc_index) - 1}"
                  f" doc_index_ok={bool((doc_index == np.arange(len(doc_index))).all())}")
            if use_core:
                from megatron.core.datasets.indexed_dataset import IndexedDataset
                dataset = IndexedDataset(prefix, mmap=True)
                same = len(dataset) == len(sequences) and all(
                    np.array_equal(dataset[i], sequences[i]) for i in range(len(dataset)))
                print(f"{name[:-4]} megatron-core sequences={len(dataset)} equal={same}")
    manifest_path = os.path.join(folder, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        checked = bad = 0
        for shard in manifest["shards"]:
            pairs = [(shard["file"], shard["xxh64"])]
            if shard.get("index"):
                pairs.append((shard["index"], shard["index_xxh64"]))
            for file, expected in pairs:
                with open(os.path.join(folder, file), "rb") as f:
                    checked += 1
                    bad += f"{xxh64(f.read()):016x}" != expected
        print(f"manifest xxh64 files={checked} mismatches={bad}")


if __name__ == "__main__":
    main()
