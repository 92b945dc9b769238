#ifndef URNN_CZMQ_SHIM_H
#define URNN_CZMQ_SHIM_H
#include <zmq.h>
#endif
