/* A stage plugin written in C against sergraph_plugin.h, built by the tests with variations:
 *   -DSTAGE_NAME='"invert"'   the stage's name (a built-in's name makes a clash)
 *   -DABI_VERSION=999         the ABI version it claims
 *   -DFAIL_CREATE             its create refuses, with a reason
 *   -DNO_ENTRY                it exports no entry point
 *   -DBREAK='stage.process = 0'  a statement the entry point runs first, to break the
 *                             descriptor (`plugin`, `stage`, `in_port`, `gain_parameter`)
 *   -DBREAK_BLOCK='out.width = -1'  a statement that breaks each block `process` emits (`out`)
 * The stage negates audio and multiplies it by its `gain` parameter. */
#include "sergraph_plugin.h"
#include <stdio.h>
#include <stdlib.h>

#ifndef STAGE_NAME
#define STAGE_NAME "invert"
#endif
#ifndef ABI_VERSION
#define ABI_VERSION SG_PLUGIN_ABI_VERSION
#endif

static void *create(const sg_stage_descriptor *stage, const sg_parameter_value *values, int32_t count,
                    const char *name, const sg_host *host, sg_error *error) {
#ifdef FAIL_CREATE
    snprintf(error->message, sizeof error->message, "no licence for stage '%s'", name);
    return NULL;
#else
    float *gain = malloc(sizeof(float));
    *gain = 1;
    for (int32_t i = 0; i < count; i++) *gain = strtof(values[i].value, NULL);  /* the one parameter */
    return gain;
#endif
}

static int32_t prepare(void *instance, const sg_format *inputs, int32_t input_count, sg_format *outputs,
                       int32_t output_count, sg_error *error) {
    if (inputs[0].kind != SG_KIND_AUDIO) {
        snprintf(error->port, sizeof error->port, "in");
        snprintf(error->message, sizeof error->message, "needs audio");
        return -1;
    }
    outputs[0] = inputs[0];
    return 0;
}

static int32_t process(void *instance, const sg_block *block, int32_t port, sg_emit_fn emit, void *context,
                       sg_error *error) {
    float gain = *(float *)instance;
    float *negated = malloc(sizeof(float) * (size_t)block->value_count);
    for (int64_t i = 0; i < block->value_count; i++) negated[i] = -gain * block->values[i];
    sg_block out = *block;
    out.values = negated;
#ifdef BREAK_BLOCK
    BREAK_BLOCK;
#endif
    int32_t status = emit(context, 0, &out);
    free(negated);
    return status == 0 ? 0 : -1;
}

static int32_t finish(void *instance, sg_emit_fn emit, void *context, sg_error *error) { return 0; }
static void destroy(void *instance) { free(instance); }

static sg_port_spec in_port = {"in", SG_KIND_AUDIO, "audio"};
static sg_port_spec out_port = {"out", SG_KIND_AUDIO, "the audio, negated"};
static sg_parameter_spec gain_parameter = {"gain", SG_PARAMETER_NUMBER, NULL, "1", 1, 0, 10, NULL, "factor after negating"};
static sg_stage_descriptor stage = {
    STAGE_NAME, "Negates audio (a plugin written in C).", &in_port, 1, &out_port, 1, &gain_parameter, 1, NULL,
    create, prepare, process, NULL, finish, NULL, destroy,
};
static sg_plugin_descriptor plugin = {ABI_VERSION, "c", "c-test-plugin", "0.1", &stage, 1};

#ifndef NO_ENTRY
const sg_plugin_descriptor *sergraph_plugin_entry(void) {
#ifdef BREAK
    BREAK;
#endif
    return &plugin;
}
#endif
