#include "scenarios/run.h"
