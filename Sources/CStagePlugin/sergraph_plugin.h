#ifndef SERGRAPH_PLUGIN_H
#define SERGRAPH_PLUGIN_H
/*
 * The boundary between sergraph and a stage plugin: plain C types and function pointers, so
 * that a plugin built by another compiler, toolchain or language loads as long as this ABI
 * version matches. A plugin is a shared library exporting
 *
 *     const sg_plugin_descriptor *sergraph_plugin_entry(void);
 *
 * Swift plugins do not write any of this by hand: StageKit's `StagePlugin.descriptor` builds the
 * descriptor from `Stage` types.
 *
 * Memory: everything the plugin returns (descriptor, names, output formats) stays valid while
 * the library is loaded, or for output formats while the instance lives. Blocks passed in
 * either direction are valid only during the call.
 *
 * NULL and counts: no string, list or function pointer is NULL unless its comment says it may
 * be (a list may be NULL when its count is 0), and no count is negative. The host reads
 * `abi_version` before anything else and refuses a descriptor that breaks these rules, with
 * a message naming the library, the stage and the field.
 */
#include <stdint.h>

#define SG_PLUGIN_ABI_VERSION 1u
#define SG_PLUGIN_ENTRY_SYMBOL "sergraph_plugin_entry"

/* Stream kinds; port declarations combine them as bits. */
enum {
    SG_KIND_AUDIO = 1u << 0,
    SG_KIND_FEATURES = 1u << 1,
    SG_KIND_EMBEDDING = 1u << 2,
    SG_KIND_POSTERIOR = 1u << 3,
    SG_KIND_EVENT = 1u << 4,
};

/* The agreed format of one stream (see StageKit's StreamFormat). */
typedef struct sg_format {
    uint32_t kind;               /* one SG_KIND_* bit */
    double sample_rate;          /* the clock of the stream's time stamps */
    int32_t width;               /* values per row: channels, dimension, labels; 0 for events */
    int32_t hop;                 /* clock samples between rows */
    const char *const *labels;   /* column names (feature kind, class labels, event fields) */
    int32_t label_count;
} sg_format;

enum { SG_VALUE_NUMBER = 0, SG_VALUE_TEXT = 1, SG_VALUE_FLAG = 2 };

typedef struct sg_field {
    const char *key;
    int32_t type;                /* SG_VALUE_* */
    double number;               /* SG_VALUE_NUMBER; SG_VALUE_FLAG: 0 or 1 */
    const char *text;            /* SG_VALUE_TEXT */
} sg_field;

typedef struct sg_event {
    int64_t time;
    int64_t duration;
    const char *name;
    const sg_field *fields;
    int32_t field_count;
} sg_event;

/* Rows of `width` values starting at stream time `time`, or events (width 0). */
typedef struct sg_block {
    int64_t time;
    int32_t width;
    const float *values;
    int64_t value_count;
    const sg_event *events;
    int32_t event_count;
} sg_block;

/* Filled by a plugin function that fails (returns non-zero or NULL). */
typedef struct sg_error {
    char message[1024];
    char port[128];              /* the port concerned, or empty */
} sg_error;

/* Hands a block the stage produced on output `port` to the host. Returns 0, or non-zero when
 * the host failed downstream (the plugin should return that failure, error already filled). */
typedef int32_t (*sg_emit_fn)(void *emit_context, int32_t port, const sg_block *block);

enum {
    SG_PARAMETER_INTEGER = 0, SG_PARAMETER_NUMBER = 1, SG_PARAMETER_TEXT = 2, SG_PARAMETER_FLAG = 3,
    SG_PARAMETER_CHOICE = 4, SG_PARAMETER_INPUT_PATH = 5, SG_PARAMETER_OUTPUT_PATH = 6,
};

typedef struct sg_parameter_spec {
    const char *name;
    int32_t type;                /* SG_PARAMETER_* */
    const char *choices;         /* SG_PARAMETER_CHOICE: words separated by '|'; NULL for other types */
    const char *default_value;   /* as text; NULL makes the parameter required */
    int32_t has_range;
    double minimum;
    double maximum;
    const char *unit;            /* or NULL */
    const char *doc;             /* one line */
} sg_parameter_spec;

typedef struct sg_port_spec {
    const char *name;
    uint32_t kinds;              /* SG_KIND_* bits the port takes or produces */
    const char *doc;
} sg_port_spec;

/* A validated parameter value, as text (numbers in C locale, flags "true"/"false"). */
typedef struct sg_parameter_value {
    const char *name;
    const char *value;
} sg_parameter_value;

/* What the host offers a stage instance. */
typedef struct sg_host {
    void *context;
    /* Reserves `path` as an output of the run and writes the temporary path to create instead
     * into `buffer`; the host gives the file its final name when the run completes.
     * Returns 0, or non-zero if `capacity` is too small or the folder cannot be made. */
    int32_t (*temporary_path)(void *context, const char *path, char *buffer, int32_t capacity);
} sg_host;

typedef struct sg_stage_descriptor sg_stage_descriptor;

struct sg_stage_descriptor {
    const char *name;
    const char *summary;
    const sg_port_spec *inputs;
    int32_t input_count;
    const sg_port_spec *outputs;
    int32_t output_count;
    const sg_parameter_spec *parameters;
    int32_t parameter_count;
    void *context;               /* the plugin's own, passed back to create */

    /* Makes an instance from validated values (every declared parameter, in any order).
     * Returns NULL and fills `error` on failure. The other functions return 0, or -1 after
     * filling `error`. */
    void *(*create)(const sg_stage_descriptor *stage, const sg_parameter_value *values, int32_t value_count,
                    const char *stage_name, const sg_host *host, sg_error *error);
    /* Agrees formats: reads one format per input, writes one per output. */
    int32_t (*prepare)(void *instance, const sg_format *inputs, int32_t input_count, sg_format *outputs,
                       int32_t output_count, sg_error *error);
    /* Handles one block that arrived on input `port`. */
    int32_t (*process)(void *instance, const sg_block *block, int32_t port, sg_emit_fn emit, void *emit_context,
                       sg_error *error);
    /* Sources only (no inputs), else NULL: emits the next blocks. Returns 1 while the stream
     * goes on, 0 at its end, -1 on failure. */
    int32_t (*produce)(void *instance, sg_emit_fn emit, void *emit_context, sg_error *error);
    /* End of stream: emits what is held back. */
    int32_t (*finish)(void *instance, sg_emit_fn emit, void *emit_context, sg_error *error);
    /* Changes a parameter while blocks flow (NULL if the stage takes no changes). */
    int32_t (*control)(void *instance, const char *name, const char *value, sg_error *error);
    void (*destroy)(void *instance);
};

typedef struct sg_plugin_descriptor {
    uint32_t abi_version;        /* SG_PLUGIN_ABI_VERSION the plugin was built against */
    const char *sdk_version;     /* StageKit's version, for messages */
    const char *name;
    const char *version;
    const sg_stage_descriptor *stages;
    int32_t stage_count;
} sg_plugin_descriptor;

typedef const sg_plugin_descriptor *(*sg_plugin_entry_fn)(void);

#endif
