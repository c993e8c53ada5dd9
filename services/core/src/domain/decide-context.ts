/** What a decision may know besides the command and the state: the clock, passed in so deciders stay pure. */
export interface DecideContext {
  readonly now: Date;
}
