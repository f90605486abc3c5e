//! The page of an ordered answer: how many recordings to skip, and how many to return at most.

/// BBB's `offset` and `limit`, applied after the order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    /// `None`: every recording after the offset. Never `Some(0)` in a plan (such a query is not asked).
    pub limit: Option<u64>,
}

impl Page {
    /// The page of `ordered`.
    pub fn of<T>(&self, ordered: Vec<T>) -> Vec<T> {
        let offset = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let limit = self.limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        ordered.into_iter().skip(offset).take(limit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_then_takes() {
        let items = vec![1, 2, 3, 4, 5];
        assert_eq!(Page { offset: 1, limit: Some(2) }.of(items.clone()), [2, 3]);
        assert_eq!(Page { offset: 3, limit: None }.of(items.clone()), [4, 5]);
        assert_eq!(Page { offset: 9, limit: Some(9) }.of(items.clone()), Vec::<i32>::new());
        assert_eq!(Page { offset: u64::MAX, limit: Some(u64::MAX) }.of(items), Vec::<i32>::new());
    }
}
