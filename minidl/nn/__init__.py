"""Neural-network modules: Module, Parameter, Sequential, layers, losses, init."""
