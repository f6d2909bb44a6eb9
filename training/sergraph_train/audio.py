"""Raw audio for the teacher: WAV files as sergraph wrote them, read without any audio library.

`sergraph train teacher` decodes every clip with its own file-source (mixed to mono) and
resampler into 32-bit float WAV files at 16 kHz, the audio the native `wav2vec2-classifier`
stage hears; `read_wav` reads those, and 16-bit / 32-bit PCM WAV as well.
"""
import pathlib
import struct

import numpy as np

from .data import DataError

RATE = 16000


def audio_path(folder, clip):
    """Where `sergraph train teacher` put a clip's 16 kHz audio: FOLDER/<path without extension>.wav."""
    return pathlib.Path(folder) / pathlib.PurePosixPath(clip.path).with_suffix(".wav")


def read_wav(path, rate=RATE):
    """The samples of a RIFF/WAVE file (float32, channels averaged). Reads PCM 16/32-bit and
    IEEE float 32-bit (also as WAVE_FORMAT_EXTENSIBLE); refuses another rate or encoding,
    naming the file."""
    path = pathlib.Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: cannot read the audio ({error.strerror})") from None
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise DataError(f"{path}: not a WAV file")
    position, form, samples = 12, None, None
    while position + 8 <= len(data):
        name, size = data[position:position + 4], struct.unpack_from("<I", data, position + 4)[0]
        body = data[position + 8:position + 8 + size]
        if name == b"fmt " and len(body) >= 16:
            code, channels, file_rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if code == 0xFFFE and len(body) >= 26:
                code = struct.unpack_from("<H", body, 24)[0]   # the sub-format GUID's first two bytes
            form = (code, channels, file_rate, bits)
        elif name == b"data":
            samples = body
        position += 8 + size + (size & 1)
    if form is None or samples is None:
        raise DataError(f"{path}: a WAV file without a fmt or data chunk")
    code, channels, file_rate, bits = form
    types = {(1, 16): ("<i2", 1 / 32768), (1, 32): ("<i4", 1 / 2147483648), (3, 32): ("<f4", 1.0)}
    if (code, bits) not in types or channels < 1:
        raise DataError(f"{path}: WAV encoding {code} with {bits} bits is not read here (16/32-bit PCM or 32-bit float)")
    if file_rate != rate:
        raise DataError(f"{path}: {file_rate} Hz audio; the teacher takes {rate} Hz (`sergraph train teacher` resamples)")
    dtype, scale = types[(code, bits)]
    frames = len(samples) // (channels * np.dtype(dtype).itemsize)
    values = np.frombuffer(samples, dtype=dtype, count=frames * channels).astype(np.float32) * np.float32(scale)
    return values.reshape(frames, channels).mean(axis=1, dtype=np.float32)
