/** The pack on the program's graph as `pulumi preview` of a new stack sees it: every id unknown. */
import { programSuite } from "./program-suite";

programSuite("preview");
