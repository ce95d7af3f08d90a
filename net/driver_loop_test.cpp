#include "net/driver_loop.h"
