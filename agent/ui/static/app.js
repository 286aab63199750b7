// The counter screen's entry, the one script index.html loads as a module;
// main.js wires the rest.
import { start } from './main.js';

start();
