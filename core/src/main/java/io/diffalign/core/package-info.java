/**
 * Engine glue and math that know nothing about a specific model: the safe tensor layer, safetensors
 * I/O, seeds, optimisation and the preference objectives' shared pieces.
 */
package io.diffalign.core;
