/* The journal's frames, written in C: what journal.py's Journal.add does in Python where this module
 * is not built (no compiler at install time), byte for byte the same.
 *
 * Why C: recording a call ran some 28,000 instructions on the event loop, in code scattered over
 * marshal's writer, the codec registry (each string encoded to UTF-8 through it), zlib's CRC, struct
 * and the memory map's slicing: under callgrind, 780 more instruction-cache misses a call than the
 * same call unrecorded, and the recorded call's CPU rose by twice what the recording took in place.
 * Here a frame is one function of a few hundred instructions. See docs/hot-paths.md.
 *
 * frame(buffer, at, value) writes `value` at buffer[at + 8:], marshalled as marshal.dumps(value, 2)
 * does, then the frame's head at buffer[at:at + 8] (the payload's length and its CRC-32, big-endian:
 * zlib.crc32's), and returns the payload as bytes. None when the frame does not fit before the buffer's
 * end (nothing is written then); NotImplemented for a value it does not write (a type other than None,
 * bool, int, float, str and tuple, exactly; an int of 128 bits or more, or negative past 64; a string
 * with a lone surrogate or of 2 GiB or more; nesting past MAX_DEPTH): the caller writes those with
 * marshal. A payload is built on the stack up to FRAME_MAX bytes, on the heap past it (a call whose
 * bodies are kept).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x030D0000
#define GET_OPTIONAL(value, name, result) PyObject_GetOptionalAttr((value), (name), (result))
#else
#define GET_OPTIONAL(value, name, result) _PyObject_LookupAttr((value), (name), (result))
#endif

#define HEAD 8
#define FRAME_MAX 4096
#define MAX_DEPTH 8

typedef struct {
    unsigned char *start;
    unsigned char *at;
    unsigned char *end;
    int heap; /* start is PyMem's, not the caller's stack */
} Out;

enum { OK = 0, UNSUPPORTED = 1, FAILED = 2 };

/* Room for `more` bytes: the payload moved to (or grown on) the heap. */
static int grow(Out *out, size_t more) {
    size_t used = (size_t)(out->at - out->start), size = (size_t)(out->end - out->start) * 2;
    while (size < used + more) {
        size *= 2;
    }
    unsigned char *bigger = out->heap ? PyMem_Realloc(out->start, size) : PyMem_Malloc(size);
    if (bigger == NULL) {
        PyErr_NoMemory();
        return FAILED;
    }
    if (!out->heap) {
        memcpy(bigger, out->start, used);
    }
    out->start = bigger;
    out->at = bigger + used;
    out->end = bigger + size;
    out->heap = 1;
    return OK;
}

static void release(Out *out) {
    if (out->heap) {
        PyMem_Free(out->start);
    }
}

/* zlib's CRC-32 eight bytes at a time ("slicing by 8"): a byte at a time, each step waits for the one
 * before (a table load), some 6 cycles a byte; eight independent loads a step, about one. */
static uint32_t crc_table[8][256];

static void make_crc_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        for (int t = 1; t < 8; t++) {
            crc_table[t][n] = crc_table[0][crc_table[t - 1][n] & 0xFF] ^ (crc_table[t - 1][n] >> 8);
        }
    }
}

static uint32_t crc32_of(const unsigned char *data, size_t length) {
    uint32_t c = 0xFFFFFFFFu;
    while (length >= 8) {
        uint32_t low = c ^ ((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                            (uint32_t)data[3] << 24);
        uint32_t high = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
                        (uint32_t)data[7] << 24;
        c = crc_table[7][low & 0xFF] ^ crc_table[6][(low >> 8) & 0xFF] ^ crc_table[5][(low >> 16) & 0xFF] ^
            crc_table[4][low >> 24] ^ crc_table[3][high & 0xFF] ^ crc_table[2][(high >> 8) & 0xFF] ^
            crc_table[1][(high >> 16) & 0xFF] ^ crc_table[0][high >> 24];
        data += 8;
        length -= 8;
    }
    while (length--) {
        c = crc_table[0][(c ^ *data++) & 0xFF] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

static int put(Out *out, const void *data, size_t length) {
    if ((size_t)(out->end - out->at) < length && grow(out, length) != OK) {
        return FAILED;
    }
    memcpy(out->at, data, length);
    out->at += length;
    return OK;
}

/* A type code and a 4-byte little-endian count (a tuple's, a string's): written byte by byte, no
 * memcpy call for five bytes. */
static int put_sized(Out *out, unsigned char code, uint32_t value) {
    if (out->end - out->at < 5 && grow(out, 5) != OK) {
        return FAILED;
    }
    unsigned char *at = out->at;
    at[0] = code;
    at[1] = value & 0xFF;
    at[2] = (value >> 8) & 0xFF;
    at[3] = (value >> 16) & 0xFF;
    at[4] = (value >> 24) & 0xFF;
    out->at = at + 5;
    return OK;
}

static int put_byte(Out *out, unsigned char byte) {
    if (out->at >= out->end && grow(out, 1) != OK) {
        return FAILED;
    }
    *out->at++ = byte;
    return OK;
}

/* marshal's TYPE_LONG: a signed count of 15-bit digits, then the magnitude's digits, least first. */
static int put_long(Out *out, uint64_t high, uint64_t low, int negative) {
    int bits = high ? 128 - __builtin_clzll(high) : 64 - __builtin_clzll(low);
    int digits = (bits + 14) / 15;
    int status = put_sized(out, 'l', (uint32_t)(negative ? -digits : digits));
    for (int i = 0; i < digits && status == OK; i++) {
        int shift = 15 * i;
        uint64_t digit = shift >= 64 ? high >> (shift - 64)
                                     : (low >> shift) | (shift ? high << (64 - shift) : 0);
        unsigned char bytes[2] = {digit & 0xFF, (digit >> 8) & 0x7F};
        status = put(out, bytes, 2);
    }
    return status;
}

static int put_int(Out *out, PyObject *value) {
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (x == -1 && PyErr_Occurred()) {
        return FAILED;
    }
    if (!overflow) {
        if (x >= INT32_MIN && x <= INT32_MAX) {
            return put_sized(out, 'i', (uint32_t)(int32_t)x);
        }
        uint64_t magnitude = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
        return put_long(out, 0, magnitude, x < 0);
    }
    if (overflow < 0) {
        return UNSUPPORTED;
    }
    /* Positive, 64 bits or more (a call's id is 74): the high half by a shift, once. */
    uint64_t low = PyLong_AsUnsignedLongLongMask(value);
    PyObject *shift = PyLong_FromLong(64);
    PyObject *upper = shift == NULL ? NULL : PyNumber_Rshift(value, shift);
    Py_XDECREF(shift);
    if (upper == NULL) {
        return FAILED;
    }
    uint64_t high = PyLong_AsUnsignedLongLong(upper);
    Py_DECREF(upper);
    if (high == (uint64_t)-1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return FAILED;
        }
        PyErr_Clear();
        return UNSUPPORTED;
    }
    return put_long(out, high, low, 0);
}

static int put_value(Out *out, PyObject *value, int depth) {
    if (value == Py_None) {
        return put_byte(out, 'N');
    }
    if (value == Py_False) {
        return put_byte(out, 'F');
    }
    if (value == Py_True) {
        return put_byte(out, 'T');
    }
    if (PyUnicode_CheckExact(value)) {
        Py_ssize_t length;
        const char *text = PyUnicode_AsUTF8AndSize(value, &length);
        if (text == NULL) { /* a lone surrogate: marshal writes it with surrogatepass */
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
                return FAILED;
            }
            PyErr_Clear();
            return UNSUPPORTED;
        }
        if (length > INT32_MAX) { /* marshal refuses it too: not a count that fits its 4 bytes */
            return UNSUPPORTED;
        }
        int status = put_sized(out, 'u', (uint32_t)length);
        return status == OK ? put(out, text, (size_t)length) : status;
    }
    if (PyLong_CheckExact(value)) {
        return put_int(out, value);
    }
    if (PyFloat_CheckExact(value)) {
        unsigned char bytes[8];
        if (PyFloat_Pack8(PyFloat_AS_DOUBLE(value), (char *)bytes, 1) < 0) {
            return FAILED;
        }
        int status = put_byte(out, 'g');
        return status == OK ? put(out, bytes, 8) : status;
    }
    if (PyTuple_CheckExact(value)) {
        if (depth >= MAX_DEPTH) {
            return UNSUPPORTED;
        }
        Py_ssize_t count = PyTuple_GET_SIZE(value);
        int status = put_sized(out, '(', (uint32_t)count);
        for (Py_ssize_t i = 0; i < count && status == OK; i++) {
            status = put_value(out, PyTuple_GET_ITEM(value, i), depth + 1);
        }
        return status;
    }
    return UNSUPPORTED;
}

/* Copy the payload encoded in `payload` into `buffer` at `at` as a frame: the bytes, None when it does
 * not fit (nothing written), NULL on an error. */
static PyObject *finish_frame(PyObject *buffer, Py_ssize_t at, const unsigned char *payload, size_t length) {
    Py_buffer view;
    if (PyObject_GetBuffer(buffer, &view, PyBUF_WRITABLE) < 0) {
        return NULL;
    }
    if (at < 0 || at > view.len || (size_t)(view.len - at) < HEAD + length) {
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)payload, (Py_ssize_t)length);
    if (result == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    unsigned char *place = (unsigned char *)view.buf + at;
    uint32_t crc = crc32_of(payload, length);
    unsigned char head[HEAD] = {(length >> 24) & 0xFF, (length >> 16) & 0xFF, (length >> 8) & 0xFF,
                                length & 0xFF, crc >> 24, (crc >> 16) & 0xFF, (crc >> 8) & 0xFF,
                                crc & 0xFF};
    memcpy(place + HEAD, payload, length);
    /* The payload before its head, as journal.py writes them: a process killed between the two leaves
     * a head of zeros (the segment's end), never a whole-looking frame. The fence keeps the compiler
     * from storing the head first. */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    memcpy(place, head, HEAD);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *frame(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "frame(buffer, at, value) takes 3 arguments");
        return NULL;
    }
    Py_ssize_t at = PyLong_AsSsize_t(args[1]);
    if (at == -1 && PyErr_Occurred()) {
        return NULL;
    }
    unsigned char payload[FRAME_MAX];
    Out out = {payload, payload, payload + FRAME_MAX, 0};
    int status = put_value(&out, args[2], 0);
    PyObject *result = status == FAILED        ? NULL
                       : status == UNSUPPORTED ? Py_NewRef(Py_NotImplemented)
                                               : finish_frame(args[0], at, out.start,
                                                              (size_t)(out.at - out.start));
    release(&out);
    return result;
}

/* -- a call's facts, read and written at once ----------------------------------------------------------
 * rows.facts, in C, for the calls it reads most: what it returns, marshalled, with no tuple built. The
 * parts it leaves to rows.py's helpers (given once, configure()): a call's tags, the decisions made about
 * it, a routed call's trace (a chain, a retry, a skip) and its bodies. Anything else unexpected (a call or
 * an outcome not of their size, a call that does not say when it started) is NotImplemented: rows.facts
 * reads it. test_frames.py checks the bytes equal marshal.dumps(rows.facts(...), 2) for every kind. */
enum { H_VERSION, H_RANDOM_BITS, H_TAGS, H_TRACE, H_COLUMNS, H_JSON, H_AMOUNTS, H_ZERO, H_COUNT };
static PyObject *helpers[H_COUNT];
static PyObject *s_cost, *s_finish_reason, *s_value_, *s_status_code, *s_name, *s_reported_cost,
    *s_to_eng_string, *s_dict, *s_decisions, *s_attempts, *s_skipped, *s_answered_by, *s_model,
    *s_price_version, *s_reported, *s_estimated, *s_chain, *s_ok, *s_status, *s_74;
static PyObject *s_usage[6], *s_buckets[6];

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *given[H_COUNT];
    if (!PyArg_UnpackTuple(args, "configure", H_COUNT, H_COUNT, &given[0], &given[1], &given[2], &given[3],
                           &given[4], &given[5], &given[6], &given[7])) {
        return NULL;
    }
    for (int i = 0; i < H_COUNT; i++) {
        Py_INCREF(given[i]);
        Py_XSETREF(helpers[i], given[i]);
    }
    Py_RETURN_NONE;
}

/* getattr(value, name), NULL on an error. */
#define GET(value, name) PyObject_GetAttr((value), (name))

/* An amount as rows._cost_facts writes it: None, "0" for the pricing's one zero, else its text. */
/* An amount by its text (None stays None): a provider's reported amount, the zero too. */
static int put_text_of(Out *out, PyObject *amount) {
    if (amount == Py_None) {
        return put_byte(out, 'N');
    }
    PyObject *text = PyObject_CallMethodOneArg(amount, s_to_eng_string, helpers[H_AMOUNTS]);
    if (text == NULL) {
        return FAILED;
    }
    int status = put_value(out, text, 1);
    Py_DECREF(text);
    return status;
}

/* A bucket's amount as rows._cost_facts writes it: "0" for the pricing's one zero, else by its text. */
static int put_amount(Out *out, PyObject *amount) {
    if (amount == helpers[H_ZERO]) {
        return put(out, "u\x01\x00\x00\x00" "0", 6);
    }
    return put_text_of(out, amount);
}

/* put_text_of getattr(value, name). */
static int put_text_attr(Out *out, PyObject *value, PyObject *name) {
    PyObject *amount = GET(value, name);
    if (amount == NULL) {
        return FAILED;
    }
    int status = put_text_of(out, amount);
    Py_DECREF(amount);
    return status;
}

/* put_value of getattr(value, name). */
static int put_attr(Out *out, PyObject *value, PyObject *name) {
    PyObject *got = GET(value, name);
    if (got == NULL) {
        return FAILED;
    }
    int status = put_value(out, got, 1);
    Py_DECREF(got);
    return status;
}

/* put_value of the result of calling helper with args (a new reference stolen). */
static int put_helper(Out *out, int helper, PyObject *args) {
    if (args == NULL) {
        return FAILED;
    }
    PyObject *got = PyObject_Call(helpers[helper], args, NULL);
    Py_DECREF(args);
    if (got == NULL) {
        return FAILED;
    }
    int status = put_value(out, got, 1);
    Py_DECREF(got);
    return status;
}

static int put_usage(Out *out, PyObject *usage) {
    if (usage == Py_None) {
        return put_byte(out, 'N');
    }
    int status = put_sized(out, '(', 8);
    for (int i = 0; i < 6 && status == OK; i++) {
        status = put_attr(out, usage, s_usage[i]);
    }
    if (status == OK) {
        status = put_attr(out, usage, s_estimated);
    }
    if (status != OK) {
        return status;
    }
    return put_text_attr(out, usage, s_reported_cost);
}

static int put_cost(Out *out, PyObject *cost) {
    if (cost == Py_None) {
        return put_byte(out, 'N');
    }
    int status = put_sized(out, '(', 9);
    for (int i = 0; i < 6 && status == OK; i++) {
        PyObject *amount = GET(cost, s_buckets[i]);
        if (amount == NULL) {
            return FAILED;
        }
        status = put_amount(out, amount);
        Py_DECREF(amount);
    }
    if (status == OK) {
        status = put_attr(out, cost, s_status);
    }
    if (status == OK) {
        status = put_attr(out, cost, s_price_version);
    }
    if (status == OK) { /* the provider's own amount: by its text, the zero too */
        status = put_text_attr(out, cost, s_reported);
    }
    return status;
}

/* rows._trace_facts for a call answered at its first try with nothing skipped, not a chain; else its
 * helper. */
static int put_trace(Out *out, PyObject *provider, PyObject *trace) {
    if (trace == Py_None) {
        return put_byte(out, 'N');
    }
    PyObject *attempts = GET(trace, s_attempts);
    if (attempts == NULL) {
        return FAILED;
    }
    PyObject *skipped = GET(trace, s_skipped);
    if (skipped == NULL) {
        Py_DECREF(attempts);
        return FAILED;
    }
    Py_ssize_t count = PyObject_Length(attempts);
    int skips = PyObject_IsTrue(skipped);
    Py_DECREF(skipped);
    int chain = PyUnicode_Check(provider) ? PyUnicode_Compare(provider, s_chain) == 0 : 0;
    if (count < 0 || skips < 0 || (chain == 0 && PyErr_Occurred())) {
        Py_DECREF(attempts);
        return FAILED;
    }
    if (chain || count > 1 || skips) {
        Py_DECREF(attempts);
        return put_helper(out, H_TRACE, PyTuple_Pack(2, provider, trace));
    }
    int status = put_sized(out, '(', 4);
    if (status == OK) {
        status = put_attr(out, trace, s_answered_by);
    }
    if (status == OK) {
        if (count == 0) {
            status = put_byte(out, 'N');
        } else {
            PyObject *last = PySequence_GetItem(attempts, count - 1);
            status = last == NULL ? FAILED : put_attr(out, last, s_model);
            Py_XDECREF(last);
        }
    }
    Py_DECREF(attempts);
    if (status == OK) {
        status = put(out, "NN", 2);
    }
    return status;
}

/* The error's class name and status code, as rows.facts reads them. */
static int put_error(Out *out, PyObject *error) {
    if (error == Py_None) {
        return put(out, "NN", 2);
    }
    PyObject *name = GET((PyObject *)Py_TYPE(error), s_name);
    if (name == NULL) {
        return FAILED;
    }
    int status = put_value(out, name, 1);
    Py_DECREF(name);
    if (status != OK) {
        return status;
    }
    PyObject *code = NULL;
    if (GET_OPTIONAL(error, s_status_code, &code) < 0) {
        return FAILED;
    }
    status = put_value(out, code != NULL && PyLong_Check(code) ? code : Py_None, 1);
    Py_XDECREF(code);
    return status;
}

static int put_finish(Out *out, PyObject *response) {
    if (response == Py_None) {
        return put_byte(out, 'N');
    }
    PyObject *finish = NULL;
    if (GET_OPTIONAL(response, s_finish_reason, &finish) < 0) {
        return FAILED;
    }
    if (finish == NULL || finish == Py_None) {
        Py_XDECREF(finish);
        return put_byte(out, 'N');
    }
    PyObject *value = NULL;
    if (GET_OPTIONAL(finish, s_value_, &value) < 0) {
        Py_DECREF(finish);
        return FAILED;
    }
    PyObject *text = PyObject_Str(value != NULL ? value : finish);
    Py_XDECREF(value);
    Py_DECREF(finish);
    if (text == NULL) {
        return FAILED;
    }
    int status = put_value(out, text, 1);
    Py_DECREF(text);
    return status;
}

static int put_facts(Out *out, PyObject *call, PyObject *outcome, int content) {
#define ITEM(tuple, i) PyTuple_GET_ITEM((tuple), (i))
    PyObject *provider = ITEM(call, 2), *request = ITEM(call, 4), *tags = ITEM(call, 5),
             *started = ITEM(call, 7);
    PyObject *status_ = ITEM(outcome, 0), *error = ITEM(outcome, 1), *usage = ITEM(outcome, 4),
             *trace = ITEM(outcome, 8), *response = ITEM(outcome, 9), *cost = ITEM(outcome, 10);
    int truth = PyObject_IsTrue(started);
    if (truth <= 0) { /* no start given: rows.facts takes it from the clock */
        return truth < 0 ? FAILED : UNSUPPORTED;
    }
    int status = put_sized(out, '(', 23);
    if (status == OK) {
        status = put_value(out, helpers[H_VERSION], 1);
    }
    if (status == OK) {
        PyObject *bits = PyObject_CallOneArg(helpers[H_RANDOM_BITS], s_74);
        status = bits == NULL ? FAILED : put_value(out, bits, 1);
        Py_XDECREF(bits);
    }
    if (status == OK) {
        status = put_value(out, started, 1);
    }
    /* kind, address, provider, model, caller */
    for (int i = 0; i < 4 && status == OK; i++) {
        status = put_value(out, ITEM(call, i), 1);
    }
    if (status == OK) {
        status = put_value(out, ITEM(call, 6), 1);
    }
    if (status == OK) {
        truth = PyObject_IsTrue(tags);
        status = truth < 0 ? FAILED
                 : truth   ? put_helper(out, H_TAGS, PyTuple_Pack(1, tags))
                           : put_byte(out, 'N');
    }
    /* status, partial, duration, first_token, answered provider and model */
    int order[6] = {0, 5, 6, 7, 2, 3};
    for (int i = 0; i < 6 && status == OK; i++) {
        status = put_value(out, ITEM(outcome, order[i]), 1);
    }
    if (status == OK) {
        status = put_error(out, error);
    }
    if (status == OK) {
        status = put_finish(out, response);
    }
    if (status == OK) {
        status = put_usage(out, usage);
    }
    if (status == OK) {
        if (cost == Py_None && response != Py_None) { /* a response's own, where the outcome has none */
            PyObject *own = NULL;
            if (GET_OPTIONAL(response, s_cost, &own) < 0) {
                return FAILED;
            }
            status = put_cost(out, own != NULL ? own : Py_None);
            Py_XDECREF(own);
        } else {
            status = put_cost(out, cost);
        }
    }
    if (status == OK) {
        status = put_trace(out, provider, trace);
    }
    if (status == OK) { /* the admitters' decisions, where any were made */
        PyObject *dict = NULL, *decided = NULL;
        if (GET_OPTIONAL(call, s_dict, &dict) < 0) {
            return FAILED;
        }
        if (dict != NULL && !PyDict_Check(dict)) { /* a __dict__ of its own making: rows.facts reads it */
            Py_DECREF(dict);
            return UNSUPPORTED;
        }
        if (dict != NULL) {
            decided = PyDict_GetItemWithError(dict, s_decisions); /* borrowed */
            if (decided == NULL && PyErr_Occurred()) {
                Py_DECREF(dict);
                return FAILED;
            }
        }
        truth = decided == NULL ? 0 : PyObject_IsTrue(decided);
        Py_XDECREF(dict);
        if (truth < 0) {
            return FAILED;
        }
        if (truth) {
            int ok = PyUnicode_Check(status_) && PyUnicode_Compare(status_, s_ok) == 0;
            if (!ok && PyErr_Occurred()) {
                return FAILED;
            }
            status = put_helper(out, H_COLUMNS, Py_BuildValue("(OO)", call, ok ? Py_True : Py_False));
        } else {
            status = put_byte(out, 'N');
        }
    }
    if (status == OK) {
        if (content) {
            status = put_sized(out, '(', 2);
            if (status == OK) {
                status = put_helper(out, H_JSON, PyTuple_Pack(1, request));
            }
            if (status == OK) {
                status = put_helper(out, H_JSON, PyTuple_Pack(1, response));
            }
        } else {
            status = put_byte(out, 'N');
        }
    }
    return status;
#undef ITEM
}

/* frame_call(buffer, at, call, outcome, content, next): frame's result for marshal.dumps(rows.facts(call,
 * outcome, content=content), 2), read from the call and its outcome directly. Where the frame does not
 * fit, next() begins the journal's next segment and returns its buffer (None: no room for one, and None
 * is returned): the facts are read once, their id drawn once. */
static PyObject *frame_call(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "frame_call(buffer, at, call, outcome, content, next) takes 6 "
                                         "arguments");
        return NULL;
    }
    PyObject *call = args[2], *outcome = args[3];
    if (helpers[H_VERSION] == NULL || !PyTuple_Check(call) || PyTuple_GET_SIZE(call) != 8 ||
        !PyTuple_Check(outcome) || PyTuple_GET_SIZE(outcome) != 11) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    Py_ssize_t at = PyLong_AsSsize_t(args[1]);
    int content = PyObject_IsTrue(args[4]);
    if ((at == -1 && PyErr_Occurred()) || content < 0) {
        return NULL;
    }
    unsigned char payload[FRAME_MAX];
    Out out = {payload, payload, payload + FRAME_MAX, 0};
    int status = put_facts(&out, call, outcome, content);
    PyObject *written = status == FAILED        ? NULL
                        : status == UNSUPPORTED ? Py_NewRef(Py_NotImplemented)
                                                : finish_frame(args[0], at, out.start,
                                                               (size_t)(out.at - out.start));
    if (written == Py_None) {
        Py_DECREF(written);
        PyObject *next = PyObject_CallNoArgs(args[5]);
        written = next;
        if (next != NULL && next != Py_None) {
            written = finish_frame(next, 0, out.start, (size_t)(out.at - out.start));
            Py_DECREF(next);
            if (written == Py_None) { /* longer than a segment: journal.py makes one as long */
                Py_SETREF(written, Py_NewRef(Py_NotImplemented));
            }
        }
    }
    release(&out);
    return written;
}

static PyObject *crc32(PyObject *module, PyObject *data) {
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    uint32_t crc = crc32_of(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(crc);
}

static PyMethodDef methods[] = {
    {"frame", (PyCFunction)(void (*)(void))frame, METH_FASTCALL,
     "frame(buffer, at, value) -> bytes, None or NotImplemented: see the module's source."},
    {"frame_call", (PyCFunction)(void (*)(void))frame_call, METH_FASTCALL,
     "frame_call(buffer, at, call, outcome, content, next) -> bytes, None or NotImplemented: see the "
     "source."},
    {"configure", configure, METH_VARARGS, "configure(version, random_bits, tags, trace, columns, json, "
     "amounts, zero): rows.py's helpers and constants, once."},
    {"crc32", crc32, METH_O, "crc32(data) -> int: zlib.crc32's, for the tests."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_frames", "The journal's frames, written in C (see journal.py).", -1, methods,
};

static int intern_names(void) {
    static const char *usage[6] = {"input", "cache_read", "cache_write", "cache_write_1h", "output",
                                   "reasoning"};
    for (int i = 0; i < 6; i++) {
        s_usage[i] = PyUnicode_InternFromString(usage[i]);
        s_buckets[i] = s_usage[i];
        Py_XINCREF(s_buckets[i]);
        if (s_usage[i] == NULL) {
            return -1;
        }
    }
#define NAME(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return -1
    NAME(s_cost, "cost"); NAME(s_finish_reason, "finish_reason"); NAME(s_value_, "_value_");
    NAME(s_status_code, "status_code"); NAME(s_name, "__name__"); NAME(s_reported_cost, "reported_cost");
    NAME(s_to_eng_string, "to_eng_string"); NAME(s_dict, "__dict__"); NAME(s_decisions, "decisions");
    NAME(s_attempts, "attempts"); NAME(s_skipped, "skipped"); NAME(s_answered_by, "answered_by");
    NAME(s_model, "model"); NAME(s_price_version, "price_version"); NAME(s_reported, "reported");
    NAME(s_estimated, "estimated"); NAME(s_chain, "chain"); NAME(s_ok, "ok"); NAME(s_status, "status");
#undef NAME
    return (s_74 = PyLong_FromLong(74)) == NULL ? -1 : 0;
}

PyMODINIT_FUNC PyInit__frames(void) {
    make_crc_table();
    if (intern_names() < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module != NULL && PyModule_AddIntConstant(module, "FRAME_MAX", FRAME_MAX) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
