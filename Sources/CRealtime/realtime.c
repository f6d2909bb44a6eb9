#include "realtime.h"

_Thread_local int sergraph_realtime_depth = 0;
