#include <jack/jack.h>
#include <jack/types.h>

/// jack_client_open is variadic, which Swift cannot call: this takes the server name as a
/// plain argument (NULL for the default server).
static inline jack_client_t *sergraph_jack_client_open(const char *client_name, jack_options_t options,
                                                       jack_status_t *status, const char *server_name) {
    if (server_name != NULL) {
        return jack_client_open(client_name, (jack_options_t)(options | JackServerName), status, server_name);
    }
    return jack_client_open(client_name, (jack_options_t)(options & ~JackServerName), status);
}
